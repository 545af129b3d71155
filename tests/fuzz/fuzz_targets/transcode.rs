//! Any REST request — a method, a path with its query, a body — as the gateway turns it into a
//! gRPC message: no panic; a refusal is the caller's error (4xx), never an internal one; and a
//! message it accepts passes through the field rules and renders back as JSON.
//!
//! Input: the first byte picks the method, the text up to the first newline is the path and
//! query, the rest is the body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nsk_gateway::routes::{self, Lookup, Route};
use nsk_gateway::{rules, transcode};
use prost_reflect::DescriptorPool;

fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).expect("the contract");
        routes::load(&pool).expect("the routes")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let method = match pick % 4 {
        0 => http::Method::GET,
        1 => http::Method::POST,
        2 => http::Method::PATCH,
        _ => http::Method::DELETE,
    };
    let (target, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(target) = std::str::from_utf8(target) else {
        return;
    };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let Lookup::Found(route, bound) = routes::find(routes(), &method, path) else {
        return;
    };
    match transcode::request_message(route, &bound, query, body) {
        Ok(message) => {
            let _ = rules::check(&message);
            let encoded = transcode::encode(&message);
            transcode::response_json(route.input(), &encoded).expect("an accepted request renders");
        }
        Err(refused) => assert_ne!(refused.kind, nsk_errors::ErrorKind::Internal, "{refused:?}"),
    }
});
