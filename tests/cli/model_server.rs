//! A scripted model server on 127.0.0.1 that plays the model for the real agent CLIs.
//!
//! It speaks just enough HTTP/1.1 (one request per connection, `Connection: close`) and the
//! Anthropic Messages API: a streamed answer is a `text/event-stream` of `message_start`,
//! content blocks (text, or a `tool_use` whose input arrives as `input_json_delta`),
//! `message_delta` with the stop reason and usage, `message_stop`. A test's script decides
//! each answer from the request; every request is kept for the test to look at.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// The body as text, for searching.
    pub text: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn streamed(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }

    /// The results of tool calls in the last user message (the CLI ran them).
    pub fn tool_results(&self) -> Vec<String> {
        let last = self.body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .cloned()
            .unwrap_or(Value::Null);
        last["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "tool_result")
            .map(|b| match &b["content"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// How many tool calls the conversation so far holds (the model's earlier turns).
    pub fn tool_calls(&self) -> usize {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["content"].as_array())
            .flatten()
            .filter(|b| b["type"] == "tool_use")
            .count()
    }

    /// Every tool result the conversation so far holds.
    pub fn all_tool_results(&self) -> Vec<String> {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["content"].as_array())
            .flatten()
            .filter(|b| b["type"] == "tool_result")
            .map(|b| match &b["content"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// The agent's working directory, as its system prompt names it (claude), or its
    /// environment context (codex).
    pub fn workdir(&self) -> Option<String> {
        // Claude's system prompt, codex's environment context, gemini's workspace list
        // (escaped newlines: this is the JSON text).
        let re = regex::Regex::new(concat!(
            r"Primary working directory: ([^\s\\]+)",
            r"|<cwd>([^<]+)</cwd>",
            r"|Workspace Directories:\*\*\\n\s*- ([^\s\\]+)"
        ))
        .unwrap();
        re.captures(&self.text)
            .and_then(|c| c.get(1).or(c.get(2)).or(c.get(3)))
            .map(|m| m.as_str().to_owned())
    }

    /// Gemini: the function calls the conversation holds.
    pub fn function_calls(&self) -> usize {
        self.body["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["parts"].as_array())
            .flatten()
            .filter(|p| p.get("functionCall").is_some())
            .count()
    }

    /// Codex: the results of tool calls the conversation holds.
    pub fn call_outputs(&self) -> usize {
        self.body["input"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| {
                i["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("call_output"))
            })
            .count()
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An assistant message: streamed as SSE, or as one JSON body when not streamed.
    Message {
        content: Vec<Value>,
        stop_reason: &'static str,
    },
    /// An HTTP error with headers and a JSON body.
    Error {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Value,
    },
    /// A stream (or body) cut in the middle: the connection closes.
    Cut,
    /// OpenAI's Responses API (codex): these output items, then `response.completed`.
    Responses(Vec<Value>),
    /// Google's streamGenerateContent (gemini): these parts, then `finishReason: STOP`.
    Gemini(Vec<Value>),
}

impl Reply {
    pub fn text(text: &str) -> Reply {
        Reply::Message {
            content: vec![json!({"type": "text", "text": text})],
            stop_reason: "end_turn",
        }
    }

    pub fn tool(name: &str, input: Value) -> Reply {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Reply::Message {
            content: vec![
                json!({"type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": input}),
            ],
            stop_reason: "tool_use",
        }
    }
}

type Script = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct ModelServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

/// Tokens every answer reports, so that a test can check what was recorded.
pub const INPUT_TOKENS: u64 = 1000;
pub const OUTPUT_TOKENS: u64 = 50;
pub const CACHE_READ_TOKENS: u64 = 200;
pub const CACHE_WRITE_TOKENS: u64 = 30;

impl ModelServer {
    pub fn start(script: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> ModelServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (r, s) = (requests.clone(), script);
        // The listener thread ends with the test process.
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &r, s.as_ref());
                });
            }
        });
        ModelServer { url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests to the Messages API.
    pub fn messages(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/v1/messages") && !r.path.contains("count_tokens"))
            .collect()
    }
}

fn serve(conn: TcpStream, requests: &Mutex<Vec<Request>>, script: &Script) -> std::io::Result<()> {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let text = String::from_utf8_lossy(&body).into_owned();
    let req = Request {
        method,
        path,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    };
    requests.lock().unwrap().push(req.clone());
    let mut out = conn;
    if req.method == "POST" && req.path.starts_with("/v1/responses") {
        return responses(&mut out, script(&req));
    }
    if req.method == "POST" && req.path.contains(":streamGenerateContent") {
        return gemini(&mut out, script(&req));
    }
    if req.method != "POST" || !req.path.starts_with("/v1/messages") {
        return respond(
            &mut out,
            404,
            &[],
            &json!({"type": "error", "error": {"type": "not_found_error", "message": "not here"}}),
        );
    }
    if req.path.contains("count_tokens") {
        return respond(&mut out, 200, &[], &json!({"input_tokens": INPUT_TOKENS}));
    }
    match script(&req) {
        Reply::Error {
            status,
            headers,
            body,
        } => respond(&mut out, status, &headers, &body),
        Reply::Responses(_) | Reply::Gemini(_) => panic!("another API's reply to the Messages API"),
        Reply::Cut => {
            if req.streamed() {
                write!(out, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")?;
                event(&mut out, &message_start(&req))?;
                event(
                    &mut out,
                    &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                )?;
                event(
                    &mut out,
                    &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "I will now"}}),
                )?;
            } else {
                write!(out, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\nconnection: close\r\n\r\n{{\"id\":")?;
            }
            out.flush()
        }
        Reply::Message {
            content,
            stop_reason,
        } => {
            if !req.streamed() {
                let mut m = message_start(&req)["message"].clone();
                m["content"] = Value::Array(content);
                m["stop_reason"] = json!(stop_reason);
                m["usage"]["output_tokens"] = json!(OUTPUT_TOKENS);
                return respond(&mut out, 200, &[], &m);
            }
            write!(out, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n")?;
            event(&mut out, &message_start(&req))?;
            for (i, block) in content.iter().enumerate() {
                if block["type"] == "tool_use" {
                    let mut start = block.clone();
                    start["input"] = json!({});
                    event(
                        &mut out,
                        &json!({"type": "content_block_start", "index": i, "content_block": start}),
                    )?;
                    event(
                        &mut out,
                        &json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}),
                    )?;
                } else {
                    event(
                        &mut out,
                        &json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
                    )?;
                    event(
                        &mut out,
                        &json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}}),
                    )?;
                }
                event(&mut out, &json!({"type": "content_block_stop", "index": i}))?;
            }
            event(
                &mut out,
                &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": OUTPUT_TOKENS}}),
            )?;
            event(&mut out, &json!({"type": "message_stop"}))?;
            out.flush()
        }
    }
}

fn sse_headers(out: &mut TcpStream) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    )
}

/// Codex's side: the Responses API as SSE `data:` lines.
fn responses(out: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let items = match reply {
        Reply::Error {
            status,
            headers,
            body,
        } => return respond(out, status, &headers, &body),
        Reply::Responses(items) => Some(items),
        Reply::Cut => None,
        Reply::Message { .. } | Reply::Gemini(_) => {
            panic!("another API's reply to the Responses API")
        }
    };
    sse_headers(out)?;
    let data = |out: &mut TcpStream, v: Value| -> std::io::Result<()> {
        write!(out, "data: {v}\n\n")?;
        out.flush()
    };
    data(
        out,
        json!({"type": "response.created", "response": {"id": "resp_1"}}),
    )?;
    let Some(items) = items else {
        return Ok(()); // cut: no response.completed
    };
    for (i, item) in items.into_iter().enumerate() {
        data(
            out,
            json!({"type": "response.output_item.done", "output_index": i, "item": item}),
        )?;
    }
    data(
        out,
        json!({"type": "response.completed", "response": {"id": "resp_1", "usage": {
        "input_tokens": INPUT_TOKENS,
        "input_tokens_details": {"cached_tokens": CACHE_READ_TOKENS},
        "output_tokens": OUTPUT_TOKENS,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS}}}),
    )
}

/// Gemini's side: one SSE chunk with the parts, the finish reason and the usage.
fn gemini(out: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    let parts = match reply {
        Reply::Error {
            status,
            headers,
            body,
        } => return respond(out, status, &headers, &body),
        Reply::Gemini(parts) => Some(parts),
        Reply::Cut => None,
        Reply::Message { .. } | Reply::Responses(_) => {
            panic!("another API's reply to streamGenerateContent")
        }
    };
    sse_headers(out)?;
    let Some(parts) = parts else {
        // Cut in the middle of an event: the connection closes.
        write!(
            out,
            "data: {{\"candidates\": [{{\"content\": {{\"role\": \"mo"
        )?;
        return out.flush();
    };
    let chunk = json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": OUTPUT_TOKENS,
            "cachedContentTokenCount": CACHE_READ_TOKENS, "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS},
        "modelVersion": "gemini-2.5-pro"});
    write!(out, "data: {chunk}\n\n")?;
    out.flush()
}

fn message_start(req: &Request) -> Value {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"type": "message_start", "message": {
        "id": format!("msg_{n:06}"), "type": "message", "role": "assistant",
        "model": req.body["model"], "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1,
                  "cache_read_input_tokens": CACHE_READ_TOKENS,
                  "cache_creation_input_tokens": CACHE_WRITE_TOKENS}}})
}

fn event(out: &mut TcpStream, data: &Value) -> std::io::Result<()> {
    write!(
        out,
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("message")
    )?;
    out.flush()
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    headers: &[(&'static str, String)],
    body: &Value,
) -> std::io::Result<()> {
    let body = body.to_string();
    write!(out, "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n", reason(status), body.len())?;
    for (k, v) in headers {
        write!(out, "{k}: {v}\r\n")?;
    }
    write!(out, "\r\n{body}")?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

/// A subscription's limit, as the Messages API says it: 429 with the unified headers.
pub fn session_limit(reset_unix: u64) -> Reply {
    Reply::Error {
        status: 429,
        headers: vec![
            ("anthropic-ratelimit-unified-status", "rejected".into()),
            ("anthropic-ratelimit-unified-reset", reset_unix.to_string()),
            (
                "anthropic-ratelimit-unified-representative-claim",
                "five_hour".into(),
            ),
            ("x-should-retry", "false".into()),
        ],
        body: json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}),
    }
}

/// A key the API does not know.
pub fn bad_key() -> Reply {
    Reply::Error {
        status: 401,
        headers: vec![],
        body: json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    }
}

/// A limit that starts with the first request that asks about it and lasts `secs`: the
/// test's timing does not depend on how long the CLI takes to start on a busy machine.
pub struct LimitWindow {
    secs: u64,
    first: std::sync::atomic::AtomicU64,
}

impl LimitWindow {
    pub fn new(secs: u64) -> Arc<LimitWindow> {
        Arc::new(LimitWindow {
            secs,
            first: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The reset (Unix seconds) while the limit holds, `None` once it is over.
    pub fn reset(&self) -> Option<u64> {
        let now = crate::real_cli::unix_now();
        let first = match self.first.compare_exchange(
            0,
            now,
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        ) {
            Ok(_) => now,
            Err(earlier) => earlier,
        };
        (now < first + self.secs).then_some(first + self.secs)
    }
}

/// A limit on the first `n` requests that ask about it, however long the CLI takes: a test
/// that waits it out sees exactly `n` limited runs.
pub struct LimitFirst {
    left: std::sync::atomic::AtomicUsize,
}

impl LimitFirst {
    pub fn new(n: usize) -> Arc<LimitFirst> {
        Arc::new(LimitFirst {
            left: std::sync::atomic::AtomicUsize::new(n),
        })
    }

    /// Whether this request is limited (it counts as one of the `n`).
    pub fn hit(&self) -> bool {
        self.left
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok()
    }
}
