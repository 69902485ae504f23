//! The messages the server writes for people (form errors and flash notices), in
//! the request's language. Validation returns a [`Msg`]; the handler that answers
//! the request turns it into text with [`Msg::text`] and the request's locale.
//! The texts are in `app/locales/<locale>/msg.json`.

use std::fmt;

use super::gateway::{SCENARIOS, TestPaymentField};
use crate::i18n::{Locale, td_string};

/// A URL field of the app form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlField {
    /// `notify_url`.
    Notify,
    /// `return_url`.
    Return,
    /// `app_url`.
    App,
}

/// One message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    GenericError,
    FixFields,
    EmailRequired,
    EmailTooLong,
    EmailInvalid,
    PasswordTooShort,
    PasswordTooLong,
    IsvNameRequired,
    IsvNameTooLong,
    DuplicateEmail,
    WrongCredentials,
    Throttled,
    UrlRequired(UrlField),
    UrlTooLong(UrlField, usize),
    UrlInvalid(UrlField),
    NameRequired,
    NameTooLong,
    DescriptionTooLong(usize),
    ChooseMethod,
    ChooseSpeed,
    AppCreated(String),
    ChangesSaved,
    AppEnabled,
    AppDisabled,
    AppDeleted(String),
    /// The grace period's end, formatted.
    KeyRotated(String),
    GraceEnded,
    NeedAppUrl,
    AppNotFound,
    AmountInvalid,
    /// The scenario.
    TestPaymentMade(String),
    PickApp,
    KeyUnreadable,
    NotificationNotFound,
    ResentDelivered,
    /// The attempt's hint.
    ResentFailed(String),
    /// A test payment's field that breaks its rule.
    TestPaymentRule(TestPaymentField),
    ScheduleRestarted,
    InboxAnswerSet {
        appid: String,
        answer: String,
    },
    UnknownLanguage,
}

impl UrlField {
    fn label(self, locale: Locale) -> &'static str {
        match self {
            Self::Notify => td_string!(locale, msg.url_label.notify_url),
            Self::Return => td_string!(locale, msg.url_label.return_url),
            Self::App => td_string!(locale, msg.url_label.app_url),
        }
    }
}

impl Msg {
    /// The message in `locale`.
    pub fn text(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            Self::GenericError => td_string!(l, msg.generic_error).into(),
            Self::FixFields => td_string!(l, msg.fix_fields).into(),
            Self::EmailRequired => td_string!(l, msg.email_required).into(),
            Self::EmailTooLong => td_string!(l, msg.email_too_long).into(),
            Self::EmailInvalid => td_string!(l, msg.email_invalid).into(),
            Self::PasswordTooShort => td_string!(l, msg.password_too_short).into(),
            Self::PasswordTooLong => td_string!(l, msg.password_too_long).into(),
            Self::IsvNameRequired => td_string!(l, msg.isv_name_required).into(),
            Self::IsvNameTooLong => td_string!(l, msg.isv_name_too_long).into(),
            Self::DuplicateEmail => td_string!(l, msg.duplicate_email).into(),
            Self::WrongCredentials => td_string!(l, msg.wrong_credentials).into(),
            Self::Throttled => td_string!(l, msg.throttled).into(),
            Self::UrlRequired(field) => td_string!(l, msg.url_required, label = field.label(l)).to_string(),
            Self::UrlTooLong(field, max) => {
                td_string!(l, msg.url_too_long, label = field.label(l), max = *max).to_string()
            }
            Self::UrlInvalid(field) => td_string!(l, msg.url_invalid, label = field.label(l)).to_string(),
            Self::NameRequired => td_string!(l, msg.name_required).into(),
            Self::NameTooLong => td_string!(l, msg.name_too_long).into(),
            Self::DescriptionTooLong(max) => td_string!(l, msg.description_too_long, max = *max).to_string(),
            Self::ChooseMethod => td_string!(l, msg.choose_method).into(),
            Self::ChooseSpeed => td_string!(l, msg.choose_speed).into(),
            Self::AppCreated(appid) => td_string!(l, msg.app_created, appid = appid).to_string(),
            Self::ChangesSaved => td_string!(l, msg.changes_saved).into(),
            Self::AppEnabled => td_string!(l, msg.app_enabled).into(),
            Self::AppDisabled => td_string!(l, msg.app_disabled).into(),
            Self::AppDeleted(appid) => td_string!(l, msg.app_deleted, appid = appid).to_string(),
            Self::KeyRotated(until) => td_string!(l, msg.key_rotated, until = until).to_string(),
            Self::GraceEnded => td_string!(l, msg.grace_ended).into(),
            Self::NeedAppUrl => td_string!(l, msg.need_app_url).into(),
            Self::AppNotFound => td_string!(l, msg.app_not_found).into(),
            Self::AmountInvalid => td_string!(l, msg.amount_invalid).into(),
            Self::TestPaymentMade(scenario) => {
                td_string!(l, msg.test_payment_made, scenario = scenario).to_string()
            }
            Self::PickApp => td_string!(l, msg.pick_app).into(),
            Self::KeyUnreadable => td_string!(l, msg.key_unreadable).into(),
            Self::NotificationNotFound => td_string!(l, msg.notification_not_found).into(),
            Self::ResentDelivered => td_string!(l, msg.resent_delivered).into(),
            Self::TestPaymentRule(field) => match field {
                TestPaymentField::Scenario => {
                    let scenarios = SCENARIOS.join(", ");
                    td_string!(l, msg.test_payment_scenario, scenarios = scenarios.as_str())
                }
                TestPaymentField::Amount => td_string!(l, msg.test_payment_amount).into(),
                TestPaymentField::Body => td_string!(l, msg.test_payment_body).into(),
                TestPaymentField::NotifyUrl => td_string!(l, msg.test_payment_notify_url).into(),
            },
            Self::ResentFailed(hint) => td_string!(l, msg.resent_failed, hint = hint).to_string(),
            Self::ScheduleRestarted => td_string!(l, msg.schedule_restarted).into(),
            Self::InboxAnswerSet { appid, answer } => {
                td_string!(l, msg.inbox_answer_set, appid = appid, answer = answer).to_string()
            }
            Self::UnknownLanguage => td_string!(l, msg.unknown_language).into(),
        }
    }
}

/// The sandbox cashier's texts (the cashier is plain HTML written by the server).
#[derive(Debug, Clone, Copy)]
pub struct CashierText {
    pub html_lang: &'static str,
    pub title_suffix: &'static str,
    pub refused_title: &'static str,
    pub refused_help_before: &'static str,
    pub refused_help_link: &'static str,
    pub refused_help_after: &'static str,
    pub pay_title: &'static str,
    pub cashier_title: &'static str,
    pub banner: &'static str,
    pub app: &'static str,
    pub item: &'static str,
    pub amount: &'static str,
    pub order_no: &'static str,
    pub transaction: &'static str,
    pub pay_as: &'static str,
    pub from_request: &'static str,
    /// The sandbox buyers' labels, in the order of the server's buyer list.
    pub buyers: [&'static str; 3],
    pub simulate_failure: &'static str,
    pub cancel: &'static str,
    pub paid_title: &'static str,
    pub paid_text: &'static str,
    pub failed_title: &'static str,
    pub failed_text: &'static str,
    pub closed_title: &'static str,
    pub closed_text: &'static str,
    pub back: &'static str,
    locale: Locale,
}

impl CashierText {
    /// The texts in `locale`.
    pub fn new(locale: Locale) -> Self {
        let l = locale;
        Self {
            html_lang: td_string!(l, cashier.html_lang),
            title_suffix: td_string!(l, cashier.title_suffix),
            refused_title: td_string!(l, cashier.refused_title),
            refused_help_before: td_string!(l, cashier.refused_help_before),
            refused_help_link: td_string!(l, cashier.refused_help_link),
            refused_help_after: td_string!(l, cashier.refused_help_after),
            pay_title: td_string!(l, cashier.pay_title),
            cashier_title: td_string!(l, cashier.cashier_title),
            banner: td_string!(l, cashier.banner),
            app: td_string!(l, cashier.app),
            item: td_string!(l, cashier.item),
            amount: td_string!(l, cashier.amount),
            order_no: td_string!(l, cashier.order_no),
            transaction: td_string!(l, cashier.transaction),
            pay_as: td_string!(l, cashier.pay_as),
            from_request: td_string!(l, cashier.from_request),
            buyers: [
                td_string!(l, cashier.buyer_a),
                td_string!(l, cashier.buyer_b),
                td_string!(l, cashier.buyer_c),
            ],
            simulate_failure: td_string!(l, cashier.simulate_failure),
            cancel: td_string!(l, cashier.cancel),
            paid_title: td_string!(l, cashier.paid_title),
            paid_text: td_string!(l, cashier.paid_text),
            failed_title: td_string!(l, cashier.failed_title),
            failed_text: td_string!(l, cashier.failed_text),
            closed_title: td_string!(l, cashier.closed_title),
            closed_text: td_string!(l, cashier.closed_text),
            back: td_string!(l, cashier.back),
            locale,
        }
    }

    /// The pay button: "Pay ¥12.34".
    pub fn pay(&self, amount: &str) -> String {
        td_string!(self.locale, cashier.pay, amount = amount).to_string()
    }
}

/// English, for logs and tests.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Locale::en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_the_locale_and_fill_their_placeholders() {
        assert_eq!(
            Msg::AppCreated("1234567890".into()).to_string(),
            "App created. Its appid is 1234567890."
        );
        assert_eq!(
            Msg::AppCreated("1234567890".into()).text(Locale::zh),
            "应用已创建，appid 为 1234567890。"
        );
        assert_eq!(
            Msg::UrlTooLong(UrlField::Notify, 512).text(Locale::en),
            "The notify URL must be at most 512 characters."
        );
        assert_eq!(
            Msg::UrlRequired(UrlField::Return).text(Locale::zh),
            "请填写返回地址（return_url）。"
        );
    }

    #[test]
    fn test_payment_rules_in_english_are_the_gateways_rules() {
        use crate::protocol::{RULE_BODY, RULE_TOTAL_FEE, RULE_URL};
        let en = |field| Msg::TestPaymentRule(field).to_string();
        assert_eq!(en(TestPaymentField::Body), format!("body must be {RULE_BODY}"));
        assert_eq!(
            en(TestPaymentField::Amount),
            format!("amount must be {RULE_TOTAL_FEE}")
        );
        assert_eq!(
            en(TestPaymentField::NotifyUrl),
            format!("notify_url must be {RULE_URL}")
        );
        assert_eq!(
            en(TestPaymentField::Scenario),
            format!("scenario must be one of {}", SCENARIOS.join(", "))
        );
        assert_eq!(
            Msg::TestPaymentRule(TestPaymentField::Body).text(Locale::zh),
            "商品描述（body）必须是 1 到 128 个字符，不能含控制字符"
        );
    }
}
