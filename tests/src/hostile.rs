//! Deterministic generators of hostile device answers for the robustness suite, and the
//! checks every robustness test shares: planted markers that must never reach a browser, and
//! the token canary in all its encodings.
//!
//! Everything is seeded ([`Rng`], a xorshift64*), so a failing case can be replayed from its
//! number: `device_answers(op, seed, count)[case]`.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use lem_sim::{Fault, FaultKind, Op};
use serde_json::{Value, json};

use crate::fixtures::CANARY_TOKEN;

/// Planted in device bytes the panel must never pass on to a browser: HTML pages, invalid or
/// truncated JSON, huge bodies, fields the panel does not read. Device *messages* from a JSON
/// error body are passed on (redacted, at most 200 characters) and never carry it.
pub const MARKER: &str = "MARKER-7f3a";

/// The canary token without padding in Base64: a prefix of the Base64 of both `token` and
/// `token:` (the Basic credential), so one search finds every Base64 form.
pub const CANARY_BASE64_STEM: &str = "TEVNVE9LRU4tY2FuYXJ5LTlkMWU";

/// Every form of the device token that must never appear in a response, log line or file.
pub const CANARY_FORMS: [&str; 2] = [CANARY_TOKEN, CANARY_BASE64_STEM];

/// The largest device answer the robustness apps accept (`max_response_mib = 1`).
pub const RESPONSE_LIMIT: usize = 1024 * 1024;

/// Set to `1` for the long (soak) variants: ten times the cases, the full load test.
pub const LONG_ENV: &str = "LEM_ROBUST_LONG";

/// Whether the long (soak) variants were asked for with `LEM_ROBUST_LONG=1`.
pub fn long_run() -> bool {
    std::env::var(LONG_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `n` cases, or ten times as many in a long run.
pub fn cases(n: usize) -> usize {
    if long_run() { n * 10 } else { n }
}

/// A small, fast, deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for this seed (any value, zero included).
    pub fn new(seed: u64) -> Self {
        Self((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What kind of body a generated answer carries (for the report and for replaying a case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// An HTML page (login page, proxy error page).
    Html,
    /// The operation's JSON cut off part-way.
    Truncated,
    /// Not JSON: single quotes, NaN, trailing garbage, XML, random text.
    InvalidJson,
    /// Bytes that are not UTF-8, inside or around JSON.
    InvalidUtf8,
    /// JSON nested far deeper than any real answer (up to 50,000 levels).
    DeepNesting,
    /// Valid JSON of another shape than the operation's.
    WrongShape,
    /// No body at all, or only whitespace.
    Empty,
    /// A body beyond the response limit, or a large one just under it.
    Huge,
    /// The operation's own shape with odd values: sizes above 2^53, zero or negative
    /// timestamps, null rows, missing and mistyped fields, unknown fields.
    OddValues,
    /// A JSON error body in one of the usual layouts (`message`, `error`, `errors[0]`, …).
    ErrorJson,
}

impl Shape {
    /// Every shape, in a stable order.
    pub const ALL: [Shape; 10] = [
        Shape::Html,
        Shape::Truncated,
        Shape::InvalidJson,
        Shape::InvalidUtf8,
        Shape::DeepNesting,
        Shape::WrongShape,
        Shape::Empty,
        Shape::Huge,
        Shape::OddValues,
        Shape::ErrorJson,
    ];
}

/// One generated device answer.
#[derive(Debug, Clone)]
pub struct DeviceAnswer {
    /// Its number in the generated sequence.
    pub case: usize,
    /// HTTP status (1xx to 999).
    pub status: u16,
    /// `Content-Type`, or none at all.
    pub content_type: Option<String>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// What the body is.
    pub shape: Shape,
}

impl DeviceAnswer {
    /// The simulator fault that sends exactly this answer, once.
    pub fn fault(&self) -> Fault {
        Fault::once(FaultKind::Raw {
            status: self.status,
            content_type: self.content_type.clone(),
            body: self.body.clone().into(),
        })
    }

    /// One line for failure reports: number, status, content type, shape, start of the body.
    pub fn describe(&self) -> String {
        let head: String = String::from_utf8_lossy(&self.body[..self.body.len().min(100)])
            .chars()
            .map(|c| if c.is_control() { '·' } else { c })
            .collect();
        format!(
            "case {} [{:?}] {} {:?} {} bytes: {head}",
            self.case,
            self.shape,
            self.status,
            self.content_type,
            self.body.len()
        )
    }

    /// The body hyper actually sends: none for statuses that cannot have one.
    pub fn body_on_the_wire(&self) -> &[u8] {
        if matches!(self.status, 100..=199 | 204 | 304) {
            &[]
        } else {
            &self.body
        }
    }
}

const STATUSES_2XX: [u16; 8] = [200, 200, 200, 200, 201, 202, 203, 206];
const STATUSES_ODD_2XX: [u16; 3] = [204, 205, 299];
const STATUSES_1XX: [u16; 4] = [100, 101, 102, 103];
const STATUSES_3XX: [u16; 7] = [300, 301, 302, 303, 304, 307, 308];
const STATUSES_4XX: [u16; 12] = [400, 401, 403, 404, 405, 406, 409, 410, 413, 418, 429, 499];
const STATUSES_5XX: [u16; 8] = [500, 501, 502, 503, 504, 507, 520, 599];
const STATUSES_BEYOND: [u16; 3] = [600, 799, 999];

const CONTENT_TYPES: [Option<&str>; 10] = [
    Some("application/json"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/html"),
    Some("text/html; charset=iso-8859-1"),
    Some("text/plain"),
    Some("application/xml"),
    Some("application/octet-stream"),
    Some("application/problem+json"),
    None,
];

fn status(rng: &mut Rng) -> u16 {
    match rng.below(100) {
        0..=44 => *rng.pick(&STATUSES_2XX),
        45..=47 => *rng.pick(&STATUSES_ODD_2XX),
        48..=49 => *rng.pick(&STATUSES_1XX),
        50..=57 => *rng.pick(&STATUSES_3XX),
        58..=76 => *rng.pick(&STATUSES_4XX),
        77..=97 => *rng.pick(&STATUSES_5XX),
        _ => *rng.pick(&STATUSES_BEYOND),
    }
}

fn shape(rng: &mut Rng) -> Shape {
    match rng.below(100) {
        0..=11 => Shape::Html,
        12..=21 => Shape::Truncated,
        22..=31 => Shape::InvalidJson,
        32..=38 => Shape::InvalidUtf8,
        39..=44 => Shape::DeepNesting,
        45..=54 => Shape::WrongShape,
        55..=59 => Shape::Empty,
        60..=62 => Shape::Huge,
        63..=84 => Shape::OddValues,
        _ => Shape::ErrorJson,
    }
}

/// `count` device answers for `op`, deterministic for `seed`. Every shape and every status
/// class occurs in a thousand; no answer lets the marker be passed on legitimately.
pub fn device_answers(op: Op, seed: u64, count: usize) -> Vec<DeviceAnswer> {
    let mut rng = Rng::new(seed ^ (op as u64).wrapping_mul(0x1000_0001));
    (0..count)
        .map(|case| {
            let shape = shape(&mut rng);
            let status = if shape == Shape::ErrorJson && rng.chance(70) {
                *rng.pick(&[400, 404, 405, 409, 500, 501, 503])
            } else {
                status(&mut rng)
            };
            let content_type = match shape {
                Shape::Html if rng.chance(70) => Some("text/html".to_owned()),
                _ => rng.pick(&CONTENT_TYPES).map(str::to_owned),
            };
            DeviceAnswer {
                case,
                status,
                content_type,
                body: body(&mut rng, op, shape),
                shape,
            }
        })
        .collect()
}

fn body(rng: &mut Rng, op: Op, shape: Shape) -> Vec<u8> {
    match shape {
        Shape::Html => html(rng),
        Shape::Truncated => {
            let doc = valid_document(rng, op).to_string().into_bytes();
            // Never cut inside the marker only: cut anywhere after the first byte.
            let cut = 1 + rng.below(doc.len().saturating_sub(1).max(1));
            doc[..cut.min(doc.len().saturating_sub(1)).max(1)].to_vec()
        }
        Shape::InvalidJson => invalid_json(rng, op),
        Shape::InvalidUtf8 => invalid_utf8(rng),
        Shape::DeepNesting => deep(rng),
        Shape::WrongShape => wrong_shape(rng, op).into_bytes(),
        Shape::Empty => rng
            .pick(&["", "", " ", "\r\n", "\n\n\t  \n"])
            .as_bytes()
            .to_vec(),
        Shape::Huge => huge(rng, op),
        Shape::OddValues => valid_document(rng, op).to_string().into_bytes(),
        Shape::ErrorJson => error_json(rng).to_string().into_bytes(),
    }
}

fn html(rng: &mut Rng) -> Vec<u8> {
    let start = *rng.pick(&[
        "<!DOCTYPE html>",
        "<!doctype HTML>",
        "<html>",
        "  \n<HTML lang=\"en\">",
        "<head>",
        "<body>",
        "\u{feff}<!DOCTYPE html>",
        "<?xml version=\"1.0\"?><!DOCTYPE html>",
        "<h1>",
        "<script>",
    ]);
    let inner = *rng.pick(&[
        "<title>Sign in</title><form action=/login><input name=password></form>",
        "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>",
        "<script>alert(document.cookie)</script>",
        "<img src=x onerror=alert(1)>",
        "<p>{\"message\":\"looks like json\"}</p>",
    ]);
    let token = if rng.chance(30) { CANARY_TOKEN } else { "" };
    format!("{start}<body>{inner}<p>{MARKER}{token}</p></body></html>\n").into_bytes()
}

fn invalid_json(rng: &mut Rng, op: Op) -> Vec<u8> {
    let doc = valid_document(rng, op).to_string();
    match rng.below(12) {
        0 => format!("{{'name': '{MARKER}'}}").into_bytes(),
        1 => format!("[NaN, Infinity, \"{MARKER}\"]").into_bytes(),
        2 => format!("{doc}{MARKER}").into_bytes(),
        3 => format!("{doc}}}]").into_bytes(),
        4 => format!("// {MARKER}\n{doc}").into_bytes(),
        5 => format!("\u{feff}{doc}").into_bytes(),
        6 => format!("<?xml version=\"1.0\"?><error>{MARKER}</error>").into_bytes(),
        7 => format!("{MARKER} {CANARY_TOKEN}").into_bytes(),
        8 => format!("[1,2,] {MARKER}").into_bytes(),
        9 => format!("{{\"message\": \"{MARKER}\" \"code\": \"E\"}}").into_bytes(),
        10 => format!("{{\"message\":\"{MARKER}\\x41\"}}").into_bytes(),
        _ => {
            let mut garbage: Vec<u8> = (0..rng.below(300))
                .map(|_| {
                    b" {}[]\":,abc019-"
                        .get(rng.below(16))
                        .copied()
                        .unwrap_or(b'x')
                })
                .collect();
            garbage.extend_from_slice(b"\"");
            garbage.extend_from_slice(MARKER.as_bytes());
            garbage.extend_from_slice(b"\"{");
            garbage
        }
    }
}

fn invalid_utf8(rng: &mut Rng) -> Vec<u8> {
    const BAD: [&[u8]; 6] = [
        b"\xff\xfe",
        b"\xc3\x28",
        b"\xe2\x82",
        b"\xf0\x28\x8c\xbc",
        b"\xed\xa0\x80",
        b"\x80",
    ];
    let bad = BAD[rng.below(BAD.len())];
    let mut out = Vec::new();
    match rng.below(4) {
        0 => {
            out.extend_from_slice(b"[{\"name\":\"");
            out.extend_from_slice(MARKER.as_bytes());
            out.extend_from_slice(bad);
            out.extend_from_slice(b"\",\"tag\":\"1\"}]");
        }
        1 => {
            out.extend_from_slice(b"{\"message\":\"");
            out.extend_from_slice(MARKER.as_bytes());
            out.extend_from_slice(bad);
            out.extend_from_slice(b"\",\"code\":\"E\"}");
        }
        2 => {
            out.extend_from_slice(bad);
            out.extend_from_slice(MARKER.as_bytes());
        }
        _ => {
            out.extend_from_slice(MARKER.as_bytes());
            for _ in 0..rng.below(64) {
                out.push(0x80 | u8::try_from(rng.below(64)).unwrap_or(0));
            }
        }
    }
    out
}

fn deep(rng: &mut Rng) -> Vec<u8> {
    let depth = *rng.pick(&[16, 64, 126, 127, 128, 129, 500, 5_000, 50_000]);
    let (open, close): (&str, &str) = *rng.pick(&[
        ("[", "]"),
        ("{\"a\":", "}"),
        ("{\"message\":", "}"),
        ("{\"error\":", "}"),
        ("[{\"name\":", "}]"),
    ]);
    let balanced = rng.chance(80);
    let mut out = String::with_capacity(depth * (open.len() + close.len()) + 32);
    for _ in 0..depth {
        out.push_str(open);
    }
    // A string under `message` or `error` is the device's message, which the panel may show.
    let centre = if open.contains("message") || open.contains("error") {
        "deep message"
    } else {
        MARKER
    };
    out.push('"');
    out.push_str(centre);
    out.push('"');
    if balanced {
        for _ in 0..depth {
            out.push_str(close);
        }
    }
    out.into_bytes()
}

fn wrong_shape(rng: &mut Rng, op: Op) -> String {
    let rows = json!([{"name": format!("x/{MARKER}"), "tag": "1"}]);
    let options: Vec<String> = vec![
        format!("\"{MARKER}\""),
        "12345".to_owned(),
        "-1".to_owned(),
        "1e400".to_owned(),
        "true".to_owned(),
        "null".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        json!({"images": rows, "total": 1}).to_string(),
        json!({"data": {"items": rows}}).to_string(),
        json!([[MARKER], [1, 2, 3]]).to_string(),
        json!([MARKER, 1, true, null, 1.5, -7]).to_string(),
        json!({"code": ["S"], "message": {"text": MARKER}}).to_string(),
        json!({"code": {"value": "S"}, "extra": MARKER}).to_string(),
        json!([{"code": "S"}]).to_string(),
        json!({"state": [MARKER], "authState": {"x": MARKER}, "proxyState": 7}).to_string(),
        match op {
            Op::List => json!({"name": MARKER, "tag": "1"}).to_string(),
            _ => json!([{"name": "a", "tag": "1", "x": MARKER}]).to_string(),
        },
    ];
    rng.pick(&options).clone()
}

fn huge(rng: &mut Rng, op: Op) -> Vec<u8> {
    let over = RESPONSE_LIMIT + 1 + rng.below(RESPONSE_LIMIT / 2);
    let under = 100 * 1024 + rng.below(RESPONSE_LIMIT - 200 * 1024);
    match rng.below(5) {
        // Beyond the limit: a huge list with the marker in a field nobody reads.
        0 => {
            let row = json!({"name": "big/app", "tag": "1", "size": 1, "x": MARKER}).to_string();
            let mut out = b"[".to_vec();
            while out.len() < over {
                out.extend_from_slice(row.as_bytes());
                out.push(b',');
            }
            out.extend_from_slice(row.as_bytes());
            out.push(b']');
            out
        }
        // Beyond the limit: an HTML page.
        1 => {
            let mut out = b"<!DOCTYPE html><html><body>".to_vec();
            while out.len() < over {
                out.extend_from_slice(MARKER.as_bytes());
                out.extend_from_slice(b" lorem ipsum ");
            }
            out
        }
        // Under the limit: an error message far longer than the 200 characters kept, with the
        // marker beyond them (bodies over 64 KiB are not searched for a message at all).
        2 => {
            let mut message = "device said: ".to_owned();
            while message.len() < under {
                message.push_str("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ");
            }
            message.push_str(MARKER);
            json!({"code": "E", "message": message})
                .to_string()
                .into_bytes()
        }
        // Just over the 64 KiB the panel searches for a message, marker far in.
        3 => {
            let mut message = "x".repeat(65 * 1024);
            message.push_str(MARKER);
            json!({"message": message}).to_string().into_bytes()
        }
        // Under the limit: the operation's own shape, large.
        _ => match op {
            Op::List => {
                let rows: Vec<Value> = (0..2_000)
                    .map(|i| {
                        json!({"name": format!("bulk/app{i}"), "tag": "1.0", "digest": null,
                               "size": i, "timestamp": 1_700_000_000_000_i64 + i, "x": MARKER})
                    })
                    .collect();
                Value::Array(rows).to_string().into_bytes()
            }
            _ => {
                let mut doc = json!({"code": "S", "state": true});
                if let Some(map) = doc.as_object_mut() {
                    for i in 0..5_000 {
                        map.insert(format!("{MARKER}-{i}"), json!(MARKER));
                    }
                }
                doc.to_string().into_bytes()
            }
        },
    }
}

/// A message a device may send: passed on to the user after redaction, so it carries the
/// token (which must be redacted) and never the marker.
fn message(rng: &mut Rng) -> Value {
    let options = [
        json!("Image not found"),
        json!(format!("auth failed for token {CANARY_TOKEN}")),
        json!(format!("header Basic {CANARY_BASE64_STEM}6 refused")),
        json!("<b>bold</b> & \"quoted\" 'single'"),
        json!("line one\nline two\r\n\ttabbed\u{0}nul"),
        json!("é ü 漢字 🚀"),
        json!(""),
        json!("   "),
        json!(null),
        json!(42),
        json!({"text": "nested"}),
        json!(["list"]),
    ];
    rng.pick(&options).clone()
}

fn error_json(rng: &mut Rng) -> Value {
    let m = message(rng);
    let doc = match rng.below(7) {
        0 => json!({"code": "E", "message": m, "messageDetails": message(rng)}),
        1 => json!({"error": m}),
        2 => json!({"error": {"message": m, "code": 7}}),
        3 => json!({"errors": [{"code": "UNSUPPORTED", "message": m}]}),
        4 => json!({"detail": m, "status": 500}),
        5 => json!({"error_description": m}),
        _ => {
            json!({"timestamp": "2024-01-01", "status": 500, "error": "Internal Server Error", "path": "/admin"})
        }
    };
    with_unread_fields(rng, doc)
}

/// Adds fields the panel never reads, carrying the marker.
fn with_unread_fields(rng: &mut Rng, mut doc: Value) -> Value {
    if let Some(map) = doc.as_object_mut() {
        if rng.chance(60) {
            map.insert("trace".into(), json!(format!("at {MARKER} line 1")));
        }
        if rng.chance(30) {
            map.insert(MARKER.into(), json!({"deep": [MARKER]}));
        }
        if rng.chance(20) {
            map.insert("proxyPassword".into(), json!(CANARY_TOKEN));
        }
    }
    doc
}

/// A document of the operation's own shape with odd but legal values.
fn valid_document(rng: &mut Rng, op: Op) -> Value {
    match op {
        Op::List => odd_list(rng),
        Op::Info => odd_info(rng),
        Op::Pull | Op::Delete => odd_envelope(rng),
    }
}

const NAMES: [&str; 12] = [
    "line1/hmi",
    "python",
    "a/b/c/d/e/f",
    "UPPER/Case",
    "<img src=x onerror=alert(1)>",
    "../../etc/passwd",
    "name with spaces",
    "é/ü",
    "",
    "x",
    "line1/hmi?digest=sha256:0",
    "a%2Fb",
];
const TAGS: [&str; 8] = [
    "1.0",
    "latest",
    "",
    "<script>",
    "t123456789t123456789t123456789t123456789t123456789t123456789t123456789t123456789t123456789t123456789t123456789t123456789t1234567890",
    "v1+build",
    "-rc",
    "\u{202e}gpj",
];
const DIGESTS: [&str; 7] = [
    "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4",
    "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70",
    "sha256:C50F",
    "md5:abc",
    "",
    "sha256:",
    "not a digest",
];

fn odd_number(rng: &mut Rng) -> Value {
    let options = [
        json!(0),
        json!(1),
        json!(-1),
        json!(i64::MIN),
        json!(9_007_199_254_740_991_u64),
        json!(9_007_199_254_740_993_u64),
        json!(u64::MAX),
        json!(1.5),
        json!(1e20),
        json!(-0.0),
        json!(1_700_000_000),
        json!(1_700_000_000_000_i64),
        json!(253_402_300_800_000_i64),
        json!("1700000000000"),
        json!(" 42 "),
        json!("-5"),
        json!("abc"),
        json!(null),
        json!(true),
        json!([1]),
        json!({"n": 1}),
    ];
    rng.pick(&options).clone()
}

fn odd_scalar_text(rng: &mut Rng, choices: &[&str]) -> Value {
    match rng.below(10) {
        0 => json!(null),
        1 => json!(17),
        2 => json!([rng.pick(choices)]),
        3 => json!(false),
        _ => json!(rng.pick(choices)),
    }
}

fn odd_row(rng: &mut Rng) -> Value {
    if rng.chance(8) {
        return rng
            .pick(&[
                json!(null),
                json!(7),
                json!("row"),
                json!([1, 2]),
                json!(true),
            ])
            .clone();
    }
    let mut row = serde_json::Map::new();
    let fields: [(&str, Value); 5] = [
        ("name", odd_scalar_text(rng, &NAMES)),
        ("tag", odd_scalar_text(rng, &TAGS)),
        ("digest", odd_scalar_text(rng, &DIGESTS)),
        ("timestamp", odd_number(rng)),
        ("size", odd_number(rng)),
    ];
    for (key, value) in fields {
        if rng.chance(90) {
            row.insert(key.to_owned(), value);
        }
    }
    with_unread_fields(rng, Value::Object(row))
}

fn odd_list(rng: &mut Rng) -> Value {
    let mut rows: Vec<Value> = (0..rng.below(9)).map(|_| odd_row(rng)).collect();
    if rng.chance(20)
        && let Some(first) = rows.first().cloned()
    {
        rows.push(first);
    }
    if rng.chance(5) {
        return Value::Null;
    }
    Value::Array(rows)
}

fn odd_bool(rng: &mut Rng) -> Value {
    rng.pick(&[
        json!(true),
        json!(false),
        json!("true"),
        json!("FALSE"),
        json!("yes"),
        json!(0),
        json!(1),
        json!(2),
        json!(null),
        json!([true]),
    ])
    .clone()
}

fn odd_info(rng: &mut Rng) -> Value {
    let mut info = serde_json::Map::new();
    for key in ["state", "authState", "proxyState"] {
        if rng.chance(85) {
            info.insert(key.to_owned(), odd_bool(rng));
        }
    }
    if rng.chance(60) {
        info.insert(
            "proxyUser".to_owned(),
            rng.pick(&[
                json!("edge-proxy"),
                json!(""),
                json!(5),
                json!(null),
                json!("<b>u</b>"),
            ])
            .clone(),
        );
    }
    with_unread_fields(rng, Value::Object(info))
}

fn odd_envelope(rng: &mut Rng) -> Value {
    let mut envelope = serde_json::Map::new();
    if rng.chance(90) {
        envelope.insert(
            "code".to_owned(),
            rng.pick(&[
                json!("S"),
                json!("S"),
                json!("E"),
                json!("s"),
                json!(""),
                json!("FAILED"),
                json!(null),
                json!(0),
            ])
            .clone(),
        );
    }
    if rng.chance(70) {
        envelope.insert("message".to_owned(), message(rng));
    }
    if rng.chance(50) {
        envelope.insert("messageDetails".to_owned(), message(rng));
    }
    with_unread_fields(rng, Value::Object(envelope))
}

/// Where a secret or marker was found, with some context; `None` when absent.
pub fn find_in(haystack: &[u8], needle: &str) -> Option<String> {
    let at = haystack
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let start = at.saturating_sub(160);
    let end = (at + needle.len() + 160).min(haystack.len());
    Some(String::from_utf8_lossy(&haystack[start..end]).into_owned())
}

/// Panics if any form of the device token occurs in `haystack`, naming `place`.
pub fn assert_no_token(place: &str, haystack: &[u8]) {
    for secret in CANARY_FORMS {
        if let Some(context) = find_in(haystack, secret) {
            panic!("the device token ({secret}) appears in {place}: …{context}…");
        }
    }
}

/// Panics if any form of the device token occurs in any file under `dir` (database, its
/// write-ahead log, log files, configuration), naming the file.
pub fn assert_no_token_in_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            assert_no_token_in_files(&path);
        } else if let Ok(bytes) = std::fs::read(&path) {
            assert_no_token(&path.display().to_string(), &bytes);
        }
    }
}

/// The captured log lines that the panel and its device client wrote (the in-process
/// simulator logs the faults it is given, which carry the canary and the marker on purpose).
pub fn panel_log_lines(captured: &str) -> String {
    captured
        .lines()
        .filter(|line| !line.contains(" lem_sim::") && !line.contains(" lem_sim:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The token canary over everything an in-process test app left behind: every response its
/// clients received, what the panel and its device client logged (at TRACE, see
/// [`crate::logs`]) since `mark`, and every file the panel wrote (its data directory and the
/// directory of its database: the database, its write-ahead log, any log file). Panics naming
/// where a form of the token appears. Returns the panel's log lines since `mark`, for further
/// checks.
///
/// The one canary search for in-process apps; the process tests search the panel's log file
/// with [`assert_no_token`] and its directory with [`assert_no_token_in_files`].
pub fn assert_no_token_anywhere(app: &crate::TestApp, mark: usize) -> String {
    assert_no_token("the panel's responses", &app.transcript());
    let captured = crate::logs::since(mark);
    let ours = panel_log_lines(&captured);
    // The capture works: it saw this panel's device routes (their paths name the device)
    // whenever the device was called, and at least the test's own requests otherwise.
    let device = &app.config().devices[0].id;
    if app.device().counters().requests > 0 {
        assert!(
            captured.contains(device.as_str()),
            "the log capture does not see this test's panel (device {device})"
        );
    } else {
        assert!(!ours.trim().is_empty(), "the log capture is empty");
    }
    assert_no_token("the panel's logs", ours.as_bytes());
    assert_no_token_in_files(app.data_dir());
    if let Some(database_dir) = app.config().database.parent()
        && !database_dir.starts_with(app.data_dir())
    {
        assert_no_token_in_files(database_dir);
    }
    ours
}

static PANEL_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts, from now on, every panic on a thread of an in-process panel (the panel's threads
/// are named `lem-panel…`), then reports it as before. Idempotent.
pub fn watch_panel_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("lem-panel"))
            {
                PANEL_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// Panics seen on in-process panel threads since [`watch_panel_panics`] was first called (by
/// any test of this binary).
pub fn panel_panics() -> usize {
    PANEL_PANICS.load(Ordering::SeqCst)
}

/// Whether captured log text reports a panic anywhere.
pub fn mentions_a_panic(captured: &str) -> bool {
    captured.contains("panicked at")
}
