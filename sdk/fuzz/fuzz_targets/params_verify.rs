//! Feeds arbitrary bytes to everything that reads untrusted input: the query-string and
//! form parser with signature verification, the pay result, the share-login check, and
//! the XML answer parser. None may panic, and what parses must survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdk::params::Params;
use sdk::pay::PayResponse;
use sdk::query::QueryResponse;
use sdk::share_login::ShareLoginState;

const KEY: &str = "0123456789abcdef0123456789abcdef";

fn non_empty_sorted(params: &Params) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    pairs.sort();
    pairs
}

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = Params::parse(data) {
        let _ = params.verify(KEY);
        // Only sets whose every value the charset can encode can be signed or re-encoded.
        if let Ok(signed) = params.clone().signed(KEY) {
            assert!(signed.verify(KEY).expect("a signed set can be verified"));
            let reparsed = Params::parse(params.to_query().as_bytes()).expect("to_query output parses");
            assert_eq!(reparsed.charset(), params.charset());
            assert_eq!(non_empty_sorted(&reparsed), non_empty_sorted(&params));
        }
        let _ = PayResponse::from_params(params, KEY);
    }
    let now = sdk::timestamp::parse("20240501120000").expect("a valid time");
    let _ = ShareLoginState::verify(data, KEY, now);
    if let Ok(answer) = QueryResponse::parse(data, KEY) {
        // Without the key's signature only error answers can get through.
        assert!(answer.retcode() != 0 || answer.get("sign").is_some());
        let _ = (answer.retmsg(), answer.is_pay_successful(), answer.iter().count());
    }
});
