use super::*;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const APPID: &str = "1904837261";

fn paid() -> Vec<(&'static str, &'static str)> {
    vec![
        ("retcode", "0"),
        ("retmsg", "ok"),
        ("appid", APPID),
        ("notify_id", "n0tify1dn0tify1dn0tify1dn0tify1d"),
        ("out_trade_no", "order-1"),
        ("transaction_id", "1904837261202402010000000001"),
        ("total_fee", "100"),
        ("fee_type", "1"),
        ("trade_state", "0"),
        ("attach", "<a href=\"x\">Tom & Jerry's</a>\r\n测试"),
        ("input_charset", "GBK"),
        ("sign_key_index", "1"),
        ("is_refund", "false"),
    ]
}

/// Writes an answer the way the server does, with quick-xml's writer.
fn written(fields: &[(&str, &str)], signed: bool) -> String {
    let mut writer = Writer::new(Vec::new());
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .unwrap();
    writer.write_event(Event::Start(BytesStart::new("root"))).unwrap();
    let signature = sign::sign(fields.iter().copied(), KEY, Charset::Utf8).unwrap();
    let sign_field = [("sign", signature.as_str())];
    let extra: &[(&str, &str)] = if signed { &sign_field } else { &[] };
    for (name, value) in fields.iter().chain(extra) {
        writer
            .create_element(*name)
            .write_text_content(BytesText::new(value))
            .unwrap();
    }
    writer.write_event(Event::End(BytesEnd::new("root"))).unwrap();
    String::from_utf8(writer.into_inner()).unwrap()
}

#[test]
fn a_written_answer_with_escaped_text_is_parsed_and_verified() {
    let xml = written(&paid(), true);
    assert!(
        xml.contains("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;"),
        "{xml}"
    );
    let answer = NotifyQueryResponse::parse(&xml, KEY).unwrap();
    assert_eq!(answer.retcode(), retcode::OK);
    assert_eq!(answer.retmsg(), "ok");
    assert!(answer.is_ok() && answer.is_pay_successful());
    assert_eq!(
        answer.get("attach"),
        Some("<a href=\"x\">Tom & Jerry's</a>\r\n测试")
    );
    assert_eq!(answer.notify_id(), Some("n0tify1dn0tify1dn0tify1dn0tify1d"));
    assert_eq!(answer.trade_state(), Some(TradeState::Paid));
    assert_eq!(answer.total_fee(), Some(100));
    assert_eq!(answer.out_trade_no(), Some("order-1"));
    assert_eq!(answer.transaction_id(), Some("1904837261202402010000000001"));
    assert_eq!(answer.iter().count(), paid().len() + 1);
    let order = OrderQueryResponse::parse(&xml, KEY).unwrap();
    assert_eq!(order.is_refund(), Some(false));
}

#[test]
fn a_request_verifies_its_answer_with_its_own_key() {
    let xml = written(&paid(), true);
    let request = NotifyQueryRequest::new(APPID, KEY, "n0tify1d");
    assert!(request.parse_response(&xml).unwrap().is_pay_successful());
    let other = OrderQueryRequest::new(APPID, "another-key").out_trade_no("order-1");
    assert_eq!(other.parse_response(&xml).unwrap_err(), Error::SignatureMismatch);
}

#[test]
fn references_cdata_comments_and_whitespace_are_read() {
    let fields = [
        ("retcode", "0"),
        ("retmsg", "ok"),
        ("out_trade_no", "o"),
        ("total_fee", "1"),
        ("trade_state", "1"),
        ("attach", "A<&>é"),
    ];
    let signature = sign::sign(fields, KEY, Charset::Utf8).unwrap();
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!-- answer -->\n<root>\n  <retcode>0</retcode>\n  <retmsg>ok</retmsg>\n  \
         <out_trade_no>o</out_trade_no><total_fee>1</total_fee><trade_state>1</trade_state>\n  \
         <attach>&#65;<![CDATA[<&]]>&gt;&#xE9;</attach><buyer_id/>\n  <sign>{signature}</sign>\n</root>\n"
    );
    let answer = OrderQueryResponse::parse(xml, KEY).unwrap();
    assert_eq!(answer.get("attach"), Some("A<&>é"));
    assert_eq!(answer.get("buyer_id"), None);
    assert_eq!(answer.trade_state(), Some(TradeState::Created));
    assert!(!answer.is_pay_successful());
    assert_eq!(answer.is_refund(), None);
}

#[test]
fn an_error_answer_needs_no_signature() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><retcode>88222005</retcode>\
               <retmsg>notify_id invalid or expired</retmsg></root>";
    let answer = NotifyQueryResponse::parse(xml, KEY).unwrap();
    assert_eq!(answer.retcode(), retcode::NOTIFY_ID_INVALID);
    assert_eq!(answer.retmsg(), "notify_id invalid or expired");
    assert!(!answer.is_ok() && !answer.is_pay_successful());
    assert_eq!(answer.trade_state(), None);
}

#[test]
fn an_unsigned_success_is_refused() {
    let err = NotifyQueryResponse::parse(written(&paid(), false), KEY).unwrap_err();
    assert_eq!(err, Error::MissingSignature);
}

#[test]
fn a_tampered_field_or_wrong_key_is_refused() {
    let xml = written(&paid(), true);
    let tampered = xml.replace("<trade_state>0<", "<trade_state>2<");
    assert_ne!(tampered, xml);
    assert_eq!(
        QueryResponse::parse(&tampered, KEY).unwrap_err(),
        Error::SignatureMismatch
    );
    let added = xml.replace("</root>", "<buyer_id>x</buyer_id></root>");
    assert_eq!(
        QueryResponse::parse(&added, KEY).unwrap_err(),
        Error::SignatureMismatch
    );
    assert_eq!(
        QueryResponse::parse(&xml, "other").unwrap_err(),
        Error::SignatureMismatch
    );
    // A retcode turned from an error into success has no valid signature either.
    let forged = "<root><retcode>0</retcode><retmsg>ok</retmsg><sign>00</sign></root>";
    assert_eq!(
        QueryResponse::parse(forged, KEY).unwrap_err(),
        Error::SignatureMismatch
    );
}

#[test]
fn a_signed_success_must_describe_an_order() {
    let without = |name: &str| {
        let fields: Vec<_> = paid().into_iter().filter(|(k, _)| *k != name).collect();
        QueryResponse::parse(written(&fields, true), KEY).unwrap_err()
    };
    assert_eq!(without("trade_state"), Error::Missing("trade_state"));
    assert_eq!(without("total_fee"), Error::Missing("total_fee"));
    assert_eq!(without("out_trade_no"), Error::Missing("out_trade_no"));
    assert_eq!(without("retcode"), Error::Missing("retcode"));
    let mut fields = paid();
    fields[8] = ("trade_state", "paid");
    assert!(matches!(
        QueryResponse::parse(written(&fields, true), KEY).unwrap_err(),
        Error::Malformed {
            name: "trade_state",
            ..
        }
    ));
}

#[test]
fn a_malformed_retcode_is_refused() {
    for code in ["-1", "ok", "4294967296", "+0"] {
        let xml = format!("<root><retcode>{code}</retcode></root>");
        assert!(
            matches!(
                QueryResponse::parse(xml, KEY).unwrap_err(),
                Error::Malformed { name: "retcode", .. }
            ),
            "{code}"
        );
    }
}

#[test]
fn anything_but_a_flat_root_is_an_xml_error() {
    let cases = [
        "",
        "not xml at all",
        "<root><retcode>1</retcode>",
        "<root><retcode>1</retcode></root><root/>",
        "<root><retcode>1</retcode></root>trailing",
        "<answer><retcode>1</retcode></answer>",
        "<root a=\"1\"><retcode>1</retcode></root>",
        "<root><retcode x=\"1\">1</retcode></root>",
        "<root><retcode>1</retcode><retmsg><b>bold</b></retmsg></root>",
        "<root><retcode>1</retcode><retmsg>a</retmsg><retmsg>b</retmsg></root>",
        "<root><retcode>1</retcode><retmsg/><retmsg/></root>",
        "<root>text<retcode>1</retcode></root>",
        "<root><retcode>1</retcode><ns:x>1</ns:x></root>",
        "<root><retcode>1</retcode><retmsg>&nbsp;</retmsg></root>",
        "<root><retcode>1</retcode><retmsg>a & b</retmsg></root>",
        "<root><retcode>1</retcode><retmsg>&#0;</retmsg></root>",
        "<root><retcode>1</retcode></wrong>",
        "<!DOCTYPE root [<!ENTITY x \"y\">]><root><retcode>1</retcode></root>",
        "<?xml version=\"1.0\" encoding=\"GBK\"?><root><retcode>1</retcode></root>",
        "<root><retcode>1</retcode><?pi x?></root>",
        "<root><retcode>1</retcode></root><?xml version=\"1.0\"?>",
    ];
    for xml in cases {
        match QueryResponse::parse(xml, KEY) {
            Err(Error::Xml(_)) => {}
            other => panic!("{xml:?}: expected an XML error, got {other:?}"),
        }
    }
    assert!(matches!(
        QueryResponse::parse(b"<root><retcode>\xff</retcode></root>", KEY),
        Err(Error::Xml(_))
    ));
}

#[test]
fn requests_are_signed_and_checked() {
    let order = OrderQueryRequest::new(APPID, KEY)
        .out_trade_no("order-1")
        .sign_key_index(1);
    let params = order.to_params().unwrap();
    assert!(params.verify(KEY).unwrap());
    assert_eq!(params.get("sign_key_index"), Some("1"));
    let url = order.url("http://127.0.0.1:3000").unwrap();
    assert!(url.starts_with("http://127.0.0.1:3000/gateway/normalorderquery.xml?appid=1904837261&"));

    let by_id = OrderQueryRequest::new(APPID, KEY).transaction_id("1904837261202402010000000001");
    assert!(
        by_id
            .to_query()
            .unwrap()
            .contains("transaction_id=1904837261202402010000000001")
    );

    let bad = [
        (OrderQueryRequest::new(APPID, KEY), "out_trade_no"),
        (
            OrderQueryRequest::new(APPID, KEY).transaction_id("123"),
            "transaction_id",
        ),
        (
            OrderQueryRequest::new(APPID, KEY).out_trade_no("a b"),
            "out_trade_no",
        ),
        (OrderQueryRequest::new("x", KEY).out_trade_no("a"), "appid"),
    ];
    for (request, name) in bad {
        match request.to_params() {
            Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {other:?}"),
        }
    }

    let notify = NotifyQueryRequest::new(APPID, KEY, "n0tify1d").charset(Charset::Gbk);
    let params = Params::parse(notify.to_query().unwrap().as_bytes()).unwrap();
    assert_eq!(params.charset(), Charset::Gbk);
    assert!(params.verify(KEY).unwrap());
    assert!(matches!(
        NotifyQueryRequest::new(APPID, KEY, "").to_params(),
        Err(Error::InvalidParam { .. })
    ));
    assert!(format!("{notify:?}").contains("AppKey(***)"));
}
