//! Writes the signed request paths of the gateway benchmark, one per line, for wrk.
//!
//! `gateway-paths <out_dir> <appid> <key> <orders> <id_offset> <created_at_ms> <pay_prefix> <count>`
//!
//! The database holds orders 1..=<orders> seeded by `bench/gateway.sh`: order `n` has
//! id `id_offset + n`, out_trade_no `S` + n (10 digits), was created at `created_at_ms`,
//! and has one notification whose notify_id is [`notify_id`]`(n, id_offset + n)`. This writes, signed with the
//! app's key through the SDK:
//!
//! - `order_query.txt`: `<count>` order queries of random orders, alternately by
//!   out_trade_no and by transaction_id;
//! - `notify_query.txt`: `<count>` notify queries of random notifications;
//! - `pay.txt`: `<count>` pay requests with unique out_trade_nos `<pay_prefix>` + i.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use sdk::pay::PayRequest;
use sdk::query::{NotifyQueryRequest, OrderQueryRequest};

/// The notify_id `bench/gateway.sh` seeds for order `n` (id `id`): 42 characters, like the
/// server's, which are 32 random base64url characters and the order id in 10 digits. Its
/// first 32 differ from the first character on, like random ones.
fn notify_id(n: u64, id: u64) -> String {
    format!("{:08x}{n:024}{id:010}", n.wrapping_mul(2_654_435_761) % (1 << 32))
}

/// splitmix64: reproducible, and good enough to pick orders.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 1..=n.
    fn pick(&mut self, n: u64) -> u64 {
        self.next() % n + 1
    }
}

/// `yyyyMMdd` of a unix-millisecond time in UTC+8, as the gateway's transaction_id has it.
fn protocol_date(unix_ms: i64) -> String {
    let days = (unix_ms + 8 * 3_600_000).div_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}

fn write_lines(path: &Path, count: u64, mut line: impl FnMut(u64) -> String) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for i in 0..count {
        out.write_all(line(i).as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn path_of(path: &str, query: sdk::Result<String>) -> String {
    format!("{path}?{}", query.expect("a valid request"))
}

fn run(args: &[String]) -> Result<(), String> {
    let [
        out_dir,
        appid,
        key,
        orders,
        id_offset,
        created_at,
        pay_prefix,
        count,
    ] = args
    else {
        return Err(
            "usage: gateway-paths <out_dir> <appid> <key> <orders> <id_offset> <created_at_ms> \
<pay_prefix> <count>"
                .into(),
        );
    };
    let number = |name: &str, text: &str| {
        text.parse::<u64>()
            .map_err(|err| format!("{name} {text:?}: {err}"))
    };
    let orders = number("orders", orders)?;
    let id_offset = number("id_offset", id_offset)?;
    let count = number("count", count)?;
    let created_at = i64::try_from(number("created_at_ms", created_at)?).map_err(|err| err.to_string())?;
    let date = protocol_date(created_at);
    let out = Path::new(out_dir);
    let io = |err: std::io::Error| err.to_string();
    let mut rng = Rng(0x5eed);
    write_lines(&out.join("order_query.txt"), count, |i| {
        let n = rng.pick(orders);
        let request = if i % 2 == 0 {
            OrderQueryRequest::new(appid, key).out_trade_no(format!("S{n:010}"))
        } else {
            let serial = id_offset + n;
            OrderQueryRequest::new(appid, key).transaction_id(format!("{appid}{date}{serial:010}"))
        };
        path_of(OrderQueryRequest::PATH, request.to_query())
    })
    .map_err(io)?;
    write_lines(&out.join("notify_query.txt"), count, |_| {
        let n = rng.pick(orders);
        let request = NotifyQueryRequest::new(appid, key, notify_id(n, id_offset + n));
        path_of(NotifyQueryRequest::PATH, request.to_query())
    })
    .map_err(io)?;
    write_lines(&out.join("pay.txt"), count, |i| {
        let request = PayRequest::new(appid, key)
            .out_trade_no(format!("{pay_prefix}{i:010}"))
            .total_fee(1 + rng.pick(99_999))
            .body("Benchmark order")
            .notify_url("http://127.0.0.1:9/notify")
            .return_url("http://127.0.0.1:9/return")
            .spbill_create_ip("127.0.0.1");
        path_of(PayRequest::PATH, request.to_query())
    })
    .map_err(io)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gateway-paths: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_utc_plus_8() {
        // 2026-11-27T16:00:00Z is 2026-11-28 00:00 in UTC+8.
        assert_eq!(super::protocol_date(1_795_795_200_000), "20261128");
        assert_eq!(super::protocol_date(1_795_795_199_999), "20261127");
        assert_eq!(super::protocol_date(0), "19700101");
    }
}
