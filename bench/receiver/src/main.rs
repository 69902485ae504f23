//! A notification receiver for benchmarks: answers `200 success` to any request
//! (reading the body first, so connections stay alive), as cheaply as it can.
//!
//! Usage: receiver [--port 3401] [--ports 1] [--threads 1]
//! `--ports N` listens on N consecutive ports from `--port` (N distinct host:port
//! targets for the dispatcher's per-host limit).
//! On SIGINT or SIGTERM it prints `requests=<n>` (how many it answered) and exits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

static REQUESTS: AtomicU64 = AtomicU64::new(0);

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Drain the body (POST notifications); errors only mean the peer went away.
    let _ = request.into_body().collect().await;
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    Ok(Response::builder()
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"success")))
        .expect("static response"))
}

fn main() {
    let mut port: u16 = 3401;
    let mut ports: u16 = 1;
    let mut threads: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--port", Some(v)) => port = v.parse().expect("--port: a number"),
            ("--ports", Some(v)) => ports = v.parse().expect("--ports: a number"),
            ("--threads", Some(v)) => threads = v.parse().expect("--threads: a number"),
            _ => {
                eprintln!("usage: receiver [--port 3401] [--ports 1] [--threads 1]");
                std::process::exit(2);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(serve(port, ports.max(1)));
}

async fn serve(port: u16, ports: u16) {
    for offset in 0..ports {
        let addr = SocketAddr::from(([127, 0, 0, 1], port + offset));
        let listener = TcpListener::bind(addr).await.expect("bind");
        eprintln!("receiver listening on http://{addr}");
        tokio::spawn(accept(listener));
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    println!("requests={}", REQUESTS.load(Ordering::Relaxed));
}

async fn accept(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
