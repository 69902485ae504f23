//! The gateway protocol's definitions (SPEC §3, §6): retcodes, parameter rules,
//! trade states and the `yyyyMMddHHmmss` (UTC+8) time format.
//!
//! The gateway validates with these tables and the `/docs` page renders them,
//! so the reference cannot drift from what the server does.

/// A retcode with its meaning, in English and in Chinese (for `/docs`; the
/// gateway's `retmsg` texts are English and live with the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retcode {
    pub code: u32,
    pub meaning: &'static str,
    pub meaning_zh: &'static str,
}

pub const OK: u32 = 0;
pub const MISSING: u32 = 88_000_001;
pub const MALFORMED: u32 = 88_000_002;
pub const BAD_SIGNATURE: u32 = 88_000_003;
pub const UNKNOWN_APPID: u32 = 88_000_004;
pub const APP_DISABLED: u32 = 88_000_005;
pub const UNSUPPORTED: u32 = 88_000_006;
pub const OUT_TRADE_NO_REUSED: u32 = 88_000_009;
pub const RATE_LIMITED: u32 = 88_000_010;
pub const ORDER_CLOSED: u32 = 88_000_011;
pub const ORDER_NOT_FOUND: u32 = 88_221_009;
pub const NOTIFY_ID_INVALID: u32 = 88_222_005;
pub const SYSTEM_BUSY: u32 = 99_999_999;

/// Every retcode the gateway answers (SPEC §6.5).
pub const RETCODES: &[Retcode] = &[
    Retcode {
        code: OK,
        meaning: "OK",
        meaning_zh: "成功",
    },
    Retcode {
        code: MISSING,
        meaning: "required parameter missing (retmsg names it)",
        meaning_zh: "缺少必填参数（retmsg 中给出参数名）",
    },
    Retcode {
        code: MALFORMED,
        meaning: "parameter malformed (retmsg names it and the rule)",
        meaning_zh: "参数格式错误（retmsg 中给出参数名和规则）",
    },
    Retcode {
        code: BAD_SIGNATURE,
        meaning: "signature mismatch",
        meaning_zh: "签名不一致",
    },
    Retcode {
        code: UNKNOWN_APPID,
        meaning: "unknown appid",
        meaning_zh: "appid 不存在",
    },
    Retcode {
        code: APP_DISABLED,
        meaning: "app disabled",
        meaning_zh: "应用已停用",
    },
    Retcode {
        code: UNSUPPORTED,
        meaning: "unsupported sign_type, input_charset or fee_type",
        meaning_zh: "不支持的 sign_type、input_charset 或 fee_type",
    },
    Retcode {
        code: OUT_TRADE_NO_REUSED,
        meaning: "out_trade_no reused with different parameters",
        meaning_zh: "out_trade_no 重复使用，但参数不同",
    },
    Retcode {
        code: RATE_LIMITED,
        meaning: "rate limited",
        meaning_zh: "请求过于频繁，已限流",
    },
    Retcode {
        code: ORDER_CLOSED,
        meaning: "order closed or expired",
        meaning_zh: "订单已关闭或已过期",
    },
    Retcode {
        code: ORDER_NOT_FOUND,
        meaning: "order not found",
        meaning_zh: "订单不存在",
    },
    Retcode {
        code: NOTIFY_ID_INVALID,
        meaning: "notify_id invalid or expired",
        meaning_zh: "notify_id 无效或已过期",
    },
    Retcode {
        code: SYSTEM_BUSY,
        meaning: "system busy (internal error, details logged, not shown)",
        meaning_zh: "系统繁忙（内部错误，详情已记入日志，不对外显示）",
    },
];

/// One request parameter and the rule it must follow, in English (the gateway's
/// `retmsg` quotes it) and in Chinese (shown by `/docs` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub rule: &'static str,
    pub rule_zh: &'static str,
}

/// A rule: (English, Chinese).
type Rule = (&'static str, &'static str);

const fn req(name: &'static str, rule: Rule) -> Param {
    Param {
        name,
        required: true,
        rule: rule.0,
        rule_zh: rule.1,
    }
}

const fn opt(name: &'static str, rule: Rule) -> Param {
    Param {
        name,
        required: false,
        rule: rule.0,
        rule_zh: rule.1,
    }
}

pub const RULE_APPID: &str = "10 digits";
pub const RULE_OUT_TRADE_NO: &str = "1 to 32 characters of A-Z a-z 0-9 _ -";
pub const RULE_TOTAL_FEE: &str = "an integer number of fen from 1 to 10000000000";
pub const RULE_BODY: &str = "1 to 128 characters, no control characters";
pub const RULE_URL: &str = "an absolute http(s) URL of at most 512 characters";
pub const RULE_IP: &str = "an IPv4 or IPv6 address";
pub const RULE_ATTACH: &str = "at most 127 characters, no control characters";
pub const RULE_TIME: &str = "yyyyMMddHHmmss in UTC+8";
pub const RULE_SIGN_KEY_INDEX: &str = "1 or 2";
pub const RULE_FEE_PART: &str = "an integer number of fen; product_fee + transport_fee = total_fee";
pub const RULE_TOKEN: &str = "up to 32 characters of A-Z a-z 0-9 _ -";
pub const RULE_BUYER_ID: &str = "up to 64 characters, no control characters";
pub const RULE_NOTIFY_ID: &str = "the notify_id of a notification (32 to 64 characters)";
pub const RULE_TRANSACTION_ID: &str = "28 digits";

const APPID: Rule = (RULE_APPID, "10 位数字");
const OUT_TRADE_NO: Rule = (RULE_OUT_TRADE_NO, "1 至 32 个字符，限 A-Z a-z 0-9 _ -");
const TOTAL_FEE: Rule = (RULE_TOTAL_FEE, "整数，单位为分，1 至 10000000000");
const BODY: Rule = (RULE_BODY, "1 至 128 个字符，不含控制字符");
const URL: Rule = (RULE_URL, "绝对 http(s) URL，最长 512 个字符");
const IP: Rule = (RULE_IP, "IPv4 或 IPv6 地址");
const ATTACH: Rule = (RULE_ATTACH, "最多 127 个字符，不含控制字符");
const TIME: Rule = (RULE_TIME, "yyyyMMddHHmmss，UTC+8");
const SIGN_KEY_INDEX: Rule = (RULE_SIGN_KEY_INDEX, "1 或 2");
const FEE_PART: Rule = (
    RULE_FEE_PART,
    "整数，单位为分；product_fee + transport_fee = total_fee",
);
const TOKEN: Rule = (RULE_TOKEN, "最多 32 个字符，限 A-Z a-z 0-9 _ -");
const BUYER_ID: Rule = (RULE_BUYER_ID, "最多 64 个字符，不含控制字符");
const NOTIFY_ID: Rule = (RULE_NOTIFY_ID, "通知中的 notify_id（32 至 64 个字符）");
const MD5_HEX: Rule = ("MD5 hex (SPEC §4)", "MD5 十六进制（SPEC §4）");

/// Optional parameters every gateway request may carry.
pub const COMMON_OPTIONAL: &[Param] = &[
    opt("input_charset", ("UTF-8 (default) or GBK", "UTF-8（默认）或 GBK")),
    opt(
        "sign_type",
        ("MD5 (the default and only value)", "MD5（默认值，也是唯一取值）"),
    ),
    opt("sign_key_index", SIGN_KEY_INDEX),
];

/// `/gateway/pay.htm` (PayRequest).
pub const PAY_PARAMS: &[Param] = &[
    req("appid", APPID),
    req("out_trade_no", OUT_TRADE_NO),
    req("total_fee", TOTAL_FEE),
    req("body", BODY),
    req("notify_url", URL),
    req("return_url", URL),
    req("spbill_create_ip", IP),
    req(
        "sign",
        (
            "uppercase or lowercase MD5 hex (SPEC §4)",
            "MD5 十六进制，大小写均可（SPEC §4）",
        ),
    ),
    opt("attach", ATTACH),
    opt("fee_type", ("1 (CNY)", "1（人民币）")),
    opt(
        "bank_type",
        (
            "DEFAULT, or up to 32 characters of A-Z a-z 0-9 _",
            "DEFAULT，或最多 32 个字符，限 A-Z a-z 0-9 _",
        ),
    ),
    opt("time_start", TIME),
    opt("time_expire", TIME),
    opt("product_fee", FEE_PART),
    opt("transport_fee", FEE_PART),
    opt("goods_tag", TOKEN),
    opt("buyer_id", BUYER_ID),
];

/// `/gateway/verifynotifyid.xml` (NotifyQueryRequest).
pub const NOTIFY_QUERY_PARAMS: &[Param] = &[
    req("appid", APPID),
    req("notify_id", NOTIFY_ID),
    req("sign", MD5_HEX),
];

/// `/gateway/normalorderquery.xml` (OrderQueryRequest): out_trade_no or transaction_id.
pub const ORDER_QUERY_PARAMS: &[Param] = &[
    req("appid", APPID),
    opt(
        "out_trade_no",
        (
            "required unless transaction_id is given",
            "未提供 transaction_id 时必填",
        ),
    ),
    opt(
        "transaction_id",
        (
            "28 digits; wins over out_trade_no",
            "28 位数字；与 out_trade_no 同时提供时以它为准",
        ),
    ),
    req("sign", MD5_HEX),
];

/// Result parameters of the return redirect and the notification, in this order.
pub const RESULT_PARAMS: &[&str] = &[
    "appid",
    "notify_id",
    "out_trade_no",
    "transaction_id",
    "total_fee",
    "fee_type",
    "trade_state",
    "trade_mode",
    "pay_info",
    "bank_type",
    "time_end",
    "attach",
    "buyer_id",
    "input_charset",
    "sign_type",
    "sign_key_index",
    "sign",
];

/// `trade_state` values.
pub mod trade_state {
    pub const PAID: i16 = 0;
    pub const CREATED: i16 = 1;
    pub const FAILED: i16 = 2;
    pub const CLOSED: i16 = 3;
    pub const REFUNDED: i16 = 4;

    /// A short English name for the portal.
    pub fn name(state: i16) -> &'static str {
        match state {
            PAID => "paid",
            CREATED => "created",
            FAILED => "failed",
            CLOSED => "closed",
            REFUNDED => "refunded",
            _ => "unknown",
        }
    }
}

/// Unpaid orders close this long after creation at the latest, sooner when `time_expire`
/// says so (SPEC §6.1).
pub const DEFAULT_ORDER_LIFETIME_MS: i64 = 2 * 3600 * 1000;

const UTC8_MS: i64 = 8 * 3600 * 1000;

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix milliseconds as `yyyyMMddHHmmss` in UTC+8.
pub fn protocol_time(unix_ms: i64) -> String {
    let mut out = String::with_capacity(14);
    push_protocol_time(&mut out, unix_ms);
    out
}

/// Appends unix milliseconds as `yyyyMMddHHmmss` in UTC+8 to `out`. The gateway's
/// queries write two of these per answer, so the digits are written directly rather
/// than through `format!` (years outside 0..=9999 still go through it).
pub fn push_protocol_time(out: &mut String, unix_ms: i64) {
    let local = unix_ms + UTC8_MS;
    let secs = local.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if !(0..=9999).contains(&year) {
        out.push_str(&format!(
            "{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}"
        ));
        return;
    }
    for (value, width) in [
        (year, 4),
        (month, 2),
        (day, 2),
        (hour, 2),
        (minute, 2),
        (second, 2),
    ] {
        push_digits(out, value, width);
    }
}

/// Appends `value` (not negative, with at most `width` digits) as exactly `width`
/// decimal digits, zero-padded.
pub fn push_digits(out: &mut String, value: i64, width: u32) {
    let mut unit = 10_i64.pow(width) / 10;
    while unit > 0 {
        let digit = u32::try_from(value / unit % 10).unwrap_or(0);
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
        unit /= 10;
    }
}

/// The `yyyyMMdd` (UTC+8) date of unix milliseconds.
pub fn protocol_date(unix_ms: i64) -> String {
    let mut out = protocol_time(unix_ms);
    out.truncate(out.len() - 6);
    out
}

/// Parses `yyyyMMddHHmmss` (UTC+8) into unix milliseconds; `None` if it is not a real time.
pub fn parse_protocol_time(text: &str) -> Option<i64> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text[range].parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(8..10)?, num(10..12)?, num(12..14)?);
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Rejects 20260231 and the like: the date must survive the round trip.
    if day < 1 || civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) - UTC8_MS)
}

/// An amount in fen as yuan: `1234` → `¥12.34`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_times_round_trip_in_utc_plus_8() {
        assert_eq!(protocol_time(0), "19700101080000");
        // 2026-11-27T04:00:00Z
        assert_eq!(protocol_time(1_795_752_000_000), "20261127120000");
        assert_eq!(parse_protocol_time("20261127120000"), Some(1_795_752_000_000));
        assert_eq!(
            parse_protocol_time("20000229235959")
                .map(protocol_time)
                .as_deref(),
            Some("20000229235959")
        );
        for bad in [
            "20260231120000",
            "20261327120000",
            "2026112712000",
            "2026112712000x",
            "20261127240000",
        ] {
            assert_eq!(parse_protocol_time(bad), None, "{bad}");
        }
        assert_eq!(protocol_date(1_795_752_000_000), "20261127");
    }

    #[test]
    fn protocol_times_written_digit_by_digit_match_format() {
        let reference = |unix_ms: i64| {
            let local = unix_ms + UTC8_MS;
            let secs = local.div_euclid(1000);
            let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
            let (year, month, day) = civil_from_days(days);
            format!(
                "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
                rest / 3600,
                rest % 3600 / 60,
                rest % 60
            )
        };
        // Every 7,919 s (a prime, so every second of the day is hit in turn) from
        // 1900 to 2300, both ends of the fast path's range, and a few beyond it.
        let mut at = -2_208_988_800_000_i64;
        while at < 10_413_792_000_000 {
            assert_eq!(protocol_time(at), reference(at), "{at}");
            at += 7_919_001;
        }
        for at in [
            0,
            -1,
            -62_167_248_000_000,
            -62_167_248_000_001,
            253_402_271_999_999,
            253_402_272_000_000,
            i64::MIN / 2,
            i64::MAX / 2,
        ] {
            assert_eq!(protocol_time(at), reference(at), "{at}");
            assert_eq!(
                protocol_date(at),
                reference(at)[..reference(at).len() - 6],
                "{at}"
            );
        }
        let mut out = String::new();
        push_digits(&mut out, 42, 10);
        push_digits(&mut out, 7, 0);
        push_digits(&mut out, 9_999_999_999, 10);
        assert_eq!(out, "00000000429999999999");
    }

    #[test]
    fn yuan_has_two_decimals() {
        assert_eq!(yuan(1234), "¥12.34");
        assert_eq!(yuan(1), "¥0.01");
        assert_eq!(yuan(10_000_000_000), "¥100000000.00");
    }

    #[test]
    fn every_retcode_is_documented_once() {
        let mut codes: Vec<u32> = RETCODES.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RETCODES.len());
        assert_eq!(codes.len(), 13);
    }
}
