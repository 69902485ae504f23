use super::*;
use crate::sign::md5_upper_hex;
use time::macros::datetime;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const APPID: &str = "1904837261";

fn request() -> PayRequest {
    PayRequest::new(APPID, KEY)
        .out_trade_no("order-1")
        .total_fee(100)
        .body("test")
        .notify_url("http://localhost/notify")
        .return_url("http://localhost/return")
        .spbill_create_ip("127.0.0.1")
}

fn query_of(url: &str) -> &str {
    url.split_once('?').expect("url has a query").1
}

#[test]
fn the_pay_url_is_signed_over_the_sorted_canonical_string() {
    let url = request().url("http://127.0.0.1:3000/").unwrap();
    let canonical = "appid=1904837261&body=test&input_charset=UTF-8&notify_url=http://localhost/notify\
        &out_trade_no=order-1&return_url=http://localhost/return&spbill_create_ip=127.0.0.1&total_fee=100\
        &key=0123456789abcdef0123456789abcdef";
    let expected = md5_upper_hex(canonical, Charset::Utf8).unwrap();
    assert_eq!(
        url,
        format!(
            "http://127.0.0.1:3000/gateway/pay.htm?appid=1904837261&body=test&input_charset=UTF-8\
             &notify_url=http%3A%2F%2Flocalhost%2Fnotify&out_trade_no=order-1\
             &return_url=http%3A%2F%2Flocalhost%2Freturn&sign={expected}&spbill_create_ip=127.0.0.1\
             &total_fee=100"
        )
    );
}

#[test]
fn a_gbk_pay_url_round_trips() {
    let url = request()
        .body("测试")
        .attach("附加 & 数据")
        .charset(Charset::Gbk)
        .url("http://127.0.0.1:3000")
        .unwrap();
    assert!(url.contains("body=%B2%E2%CA%D4&"), "{url}");
    assert!(url.contains("input_charset=GBK"), "{url}");
    let params = Params::parse(query_of(&url).as_bytes()).unwrap();
    assert_eq!(params.charset(), Charset::Gbk);
    assert_eq!(params.get("body"), Some("测试"));
    assert_eq!(params.get("attach"), Some("附加 & 数据"));
    assert!(params.verify(KEY).unwrap());
    // The same text signed in UTF-8 gives another signature.
    let utf8 = Params::parse(request().body("测试").to_query().unwrap().as_bytes()).unwrap();
    assert_ne!(params.get("sign"), utf8.get("sign"));
}

#[test]
fn optional_parameters_are_sent_in_their_wire_formats() {
    let params = request()
        .total_fee(150)
        .product_fee(100)
        .transport_fee(50)
        .time_start(datetime!(2024-01-31 16:30:00 UTC))
        .time_expire(datetime!(2024-02-01 02:30:00 +8))
        .bank_type("DEFAULT")
        .goods_tag("tea")
        .buyer_id("buyer-7")
        .sign_key_index(2)
        .param("fee_type", "1")
        .to_params()
        .unwrap();
    assert_eq!(params.get("time_start"), Some("20240201003000"));
    assert_eq!(params.get("time_expire"), Some("20240201023000"));
    assert_eq!(params.get("sign_key_index"), Some("2"));
    assert_eq!(params.get("fee_type"), Some("1"));
    assert_eq!(params.get("goods_tag"), Some("tea"));
    assert!(params.verify(KEY).unwrap());
}

#[test]
fn obviously_bad_input_is_refused_before_signing() {
    let cases: Vec<(PayRequest, &str)> = vec![
        (request().total_fee(0), "total_fee"),
        (request().total_fee(MAX_TOTAL_FEE + 1), "total_fee"),
        (request().param("total_fee", "-1"), "total_fee"),
        (request().body(""), "body"),
        (request().out_trade_no("has space"), "out_trade_no"),
        (request().out_trade_no("x".repeat(33)), "out_trade_no"),
        (request().notify_url("localhost/notify"), "notify_url"),
        (request().return_url("ftp://localhost/return"), "return_url"),
        (request().return_url("http:///path"), "return_url"),
        (request().spbill_create_ip("localhost"), "spbill_create_ip"),
        (request().attach("x".repeat(128)), "attach"),
        (request().product_fee(60).transport_fee(50), "product_fee"),
        (request().product_fee(u64::MAX).transport_fee(101), "product_fee"),
        (request().sign_key_index(3), "sign_key_index"),
        (request().body("😀").charset(Charset::Gbk), "body"),
        (request().param("sign", "X"), "sign"),
        (request().param("input_charset", "GBK"), "input_charset"),
        (PayRequest::new("123", KEY), "appid"),
        (PayRequest::new(APPID, ""), "key"),
        (PayRequest::new(APPID, KEY), "out_trade_no"),
    ];
    for (request, name) in cases {
        match request.to_params() {
            Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: expected InvalidParam, got {other:?}"),
        }
    }
    assert!(request().attach("x".repeat(127)).to_params().is_ok());
    assert!(request().total_fee(MAX_TOTAL_FEE).to_params().is_ok());
    assert!(request().spbill_create_ip("2001:db8::1").to_params().is_ok());
}

#[test]
fn debug_output_never_shows_the_key() {
    let debug = format!("{:?}", request());
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("AppKey(***)"), "{debug}");
}

fn result(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().copied())
        .unwrap()
        .signed(KEY)
        .unwrap()
}

fn paid() -> Vec<(&'static str, &'static str)> {
    vec![
        ("appid", APPID),
        ("notify_id", "n0tify1dn0tify1dn0tify1dn0tify1d"),
        ("out_trade_no", "order-1"),
        ("transaction_id", "1904837261202402010000000001"),
        ("total_fee", "100"),
        ("fee_type", "1"),
        ("trade_state", "0"),
        ("trade_mode", "1"),
        ("bank_type", "DEFAULT"),
        ("time_end", "20240201003000"),
        ("attach", "a&b=c"),
        ("input_charset", "UTF-8"),
        ("sign_key_index", "1"),
    ]
}

#[test]
fn a_signed_notification_is_read_with_typed_getters() {
    let response = PayResponse::parse(result(&paid()).to_query(), KEY).unwrap();
    assert!(response.is_pay_successful());
    assert_eq!(response.trade_state(), TradeState::Paid);
    assert_eq!(response.total_fee(), 100);
    assert_eq!(response.appid(), APPID);
    assert_eq!(response.out_trade_no(), "order-1");
    assert_eq!(response.transaction_id(), Some("1904837261202402010000000001"));
    assert_eq!(response.notify_id(), Some("n0tify1dn0tify1dn0tify1dn0tify1d"));
    assert_eq!(response.attach(), Some("a&b=c"));
    assert_eq!(response.pay_info(), None);
    assert_eq!(response.time_end(), Some(datetime!(2024-01-31 16:30:00 UTC)));
    assert_eq!(response.get("bank_type"), Some("DEFAULT"));
    assert_eq!(response.params().len(), paid().len() + 1);
}

#[test]
fn a_failed_payment_is_verified_but_not_successful() {
    let mut pairs = paid();
    pairs[6] = ("trade_state", "2");
    pairs.push(("pay_info", "余额不足"));
    let response = PayResponse::parse(result(&pairs).to_query(), KEY).unwrap();
    assert!(!response.is_pay_successful());
    assert_eq!(response.trade_state(), TradeState::Failed);
    assert_eq!(response.pay_info(), Some("余额不足"));
}

#[test]
fn a_tampered_field_a_wrong_key_or_no_sign_is_refused() {
    let query = result(&paid()).to_query();
    let tampered = query.replace("total_fee=100", "total_fee=1");
    assert_eq!(
        PayResponse::parse(&tampered, KEY).unwrap_err(),
        Error::SignatureMismatch
    );
    assert_eq!(
        PayResponse::parse(&query, "other").unwrap_err(),
        Error::SignatureMismatch
    );
    let added = format!("{query}&buyer_id=mallory");
    assert_eq!(
        PayResponse::parse(&added, KEY).unwrap_err(),
        Error::SignatureMismatch
    );
    let unsigned = Params::from_pairs(paid()).unwrap().to_query();
    assert_eq!(
        PayResponse::parse(&unsigned, KEY).unwrap_err(),
        Error::MissingSignature
    );
}

#[test]
fn the_signature_is_checked_case_insensitively() {
    let params = result(&paid());
    let lower = params.get("sign").unwrap().to_ascii_lowercase();
    assert_ne!(
        Some(lower.as_str()),
        params.get("sign"),
        "the signature has letters to lowercase"
    );
    let query = params.to_query().replace(params.get("sign").unwrap(), &lower);
    assert!(PayResponse::parse(query, KEY).is_ok());
}

#[test]
fn signed_but_malformed_fields_are_named() {
    let with = |name: &'static str, value: &'static str| {
        let mut pairs = paid();
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        PayResponse::parse(result(&pairs).to_query(), KEY).unwrap_err()
    };
    assert_eq!(
        with("trade_state", "9"),
        Error::Malformed {
            name: "trade_state",
            value: "9".into()
        }
    );
    assert_eq!(
        with("total_fee", "+1"),
        Error::Malformed {
            name: "total_fee",
            value: "+1".into()
        }
    );
    assert_eq!(with("total_fee", ""), Error::Missing("total_fee"));
    assert_eq!(with("out_trade_no", ""), Error::Missing("out_trade_no"));
}

#[test]
fn a_gbk_notification_posted_as_a_form_is_verified() {
    let mut pairs = paid();
    pairs.retain(|(k, _)| *k != "input_charset" && *k != "attach");
    pairs.extend([("input_charset", "GBK"), ("attach", "测试")]);
    let body = result(&pairs).to_query();
    assert!(body.contains("attach=%B2%E2%CA%D4"), "{body}");
    let params = Params::parse_parts(&[b"", body.as_bytes()]).unwrap();
    let response = PayResponse::from_params(params, KEY).unwrap();
    assert_eq!(response.attach(), Some("测试"));
}

#[test]
fn trade_states_round_trip_and_acks_are_the_protocols_words() {
    for state in [
        TradeState::Paid,
        TradeState::Created,
        TradeState::Failed,
        TradeState::Closed,
        TradeState::Refunded,
    ] {
        assert_eq!(TradeState::parse(state.as_str()), Some(state));
    }
    assert_eq!(TradeState::parse("00"), None);
    assert_eq!(PayResponse::ACK_SUCCESS, "success");
    assert_eq!(PayResponse::ACK_FAIL, "fail");
}
