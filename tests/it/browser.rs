//! A real browser for the HTML report: Debian's headless Chromium, driven over the DevTools
//! protocol on a pipe (`--remote-debugging-pipe`: JSON commands on its fd 3, replies and events
//! on its fd 4, each message ended by a NUL). No driver binary, no network port, no crate: the
//! protocol is JSON, which the tests already speak. Also used by `benches/report.rs`.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The browser binary: `KARTLEGG_CHROMIUM`, else Debian's `chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("KARTLEGG_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub struct Browser {
    child: Child,
    to: File,
    from: Receiver<Value>,
    next: u64,
    session: String,
    /// Every event seen so far (method and params).
    pub events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// A pipe whose ends are moved above fd 10 (so that putting them on 3 and 4 in the child never
/// collides with them), close-on-exec in this process.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let high = |fd: i32| {
        // SAFETY: fd is open; F_DUPFD_CLOEXEC returns a new descriptor we own.
        let n = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        assert!(n >= 10);
        // SAFETY: fd was returned by pipe2 and is closed exactly once here.
        unsafe { libc::close(fd) };
        // SAFETY: n is a fresh descriptor owned by nobody else.
        unsafe { OwnedFd::from_raw_fd(n) }
    };
    (high(fds[0]), high(fds[1]))
}

impl Browser {
    /// Starts a headless Chromium with a fresh profile and opens one page.
    pub fn launch() -> Browser {
        let bin = chromium();
        assert!(
            bin.exists(),
            "{} is missing: the HTML report is tested in a real browser (apt-get install chromium; .ci/run does)",
            bin.display()
        );
        let profile = tempfile::tempdir().unwrap();
        let (cmd_r, cmd_w) = pipe();
        let (ev_r, ev_w) = pipe();
        let (a, b) = (cmd_r.as_raw_fd(), ev_w.as_raw_fd());
        let mut c = Command::new(&bin);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-pipe",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (dup2) between fork and exec.
        unsafe {
            c.pre_exec(move || {
                if libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = c.spawn().expect("start chromium");
        drop(cmd_r);
        drop(ev_w);
        let (tx, rx) = std::sync::mpsc::channel();
        let mut events = File::from(ev_r);
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1 << 16];
            loop {
                let n = match events.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Some(i) = buf.iter().position(|&b| b == 0) {
                    let msg: Value = serde_json::from_slice(&buf[..i]).unwrap_or(Value::Null);
                    buf.drain(..=i);
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            }
        });
        let mut br = Browser {
            child,
            to: File::from(cmd_w),
            from: rx,
            next: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let target = br.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_string();
        let att = br.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        br.session = att["sessionId"].as_str().unwrap().to_string();
        br.call("Page.enable", json!({}));
        br.call("Network.enable", json!({}));
        br.call("Runtime.enable", json!({}));
        br.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        br
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if session {
            msg["sessionId"] = Value::from(self.session.clone());
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from.recv_timeout(left) {
                Ok(m) if m["id"] == id => {
                    if let Some(e) = m.get("error") {
                        panic!("{method}: {e}");
                    }
                    return m["result"].clone();
                }
                Ok(m) => {
                    if m.get("method").is_some() {
                        self.events.push(m);
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no answer from chromium"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: chromium went away"),
            }
        }
    }

    /// A command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true)
    }

    /// A command to the browser itself.
    pub fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, false)
    }

    /// Opens `file` and waits until the page is drawn (`body[data-ready]`).
    pub fn open(&mut self, file: &Path) -> Duration {
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        let t = Instant::now();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("document.body && document.body.dataset.ready === '1'", 120);
        t.elapsed()
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true.
    pub fn wait_for(&mut self, expr: &str, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < deadline {
            let r = self.call(
                "Runtime.evaluate",
                json!({"expression": expr, "returnByValue": true}),
            );
            if r["result"]["value"] == true {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let errors: Vec<String> = self
            .events
            .iter()
            .filter(|e| e["method"] == "Runtime.exceptionThrown")
            .map(|e| e["params"]["exceptionDetails"].to_string())
            .collect();
        panic!("timed out waiting for {expr}; page errors: {errors:#?}");
    }

    /// The URLs the page asked for.
    pub fn requests(&mut self) -> Vec<String> {
        // A round trip, so that events sent before it have arrived.
        self.eval("1");
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .map(|e| {
                e["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }

    /// Lets the page save downloads into `dir`.
    pub fn downloads_to(&mut self, dir: &Path) {
        self.browser_call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.display().to_string(), "eventsEnabled": true}),
        );
    }

    /// The page as a PNG.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64(r["data"].as_str().unwrap())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes standard base64 (what the protocol sends screenshots in).
fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| u32::from(val(c))).collect();
        let n = v.iter().fold(0u32, |acc, x| acc << 6 | x) << (6 * (4 - v.len()));
        let take = v.len() * 6 / 8;
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64("aGVsbG8="), b"hello");
    assert_eq!(base64("aGk="), b"hi");
    assert_eq!(base64("YWJj"), b"abc");
}
