//! An instance's stdout and stderr, forwarded line by line to the server log (prefixed with the
//! function and instance) and, while an invocation asked for it, kept as its log tail.
//!
//! A reader task follows each pipe; at the end of an invocation [`Output::drain`] also reads
//! whatever is already in the pipes, under the same lock, so the function's output always lands
//! before that invocation's `END` and `REPORT` lines and inside its tail.

use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use tokio::net::unix::pipe;

use super::logs::LogSink;

/// Lambda's `X-Amz-Log-Result` holds the last 4 KB of an invocation's log.
pub const TAIL_BYTES: usize = 4096;
/// Longer lines are cut, so a function printing without newlines cannot grow our memory.
const MAX_LINE_BYTES: usize = 16 * 1024;

pub struct Output {
    prefix: String,
    log: LogSink,
    pipes: [pipe::Receiver; 2],
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    partial: [Vec<u8>; 2],
    tail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

#[derive(PartialEq)]
enum Pipe {
    Open,
    Closed,
}

impl Output {
    pub fn new(prefix: String, log: LogSink, stdout: pipe::Receiver, stderr: pipe::Receiver) -> Output {
        Output { prefix, log, pipes: [stdout, stderr], state: Mutex::default() }
    }

    /// Forwards one stream until the process (and anything it spawned) closes it.
    pub async fn follow(&self, stream: Stream) {
        let pipe = &self.pipes[stream as usize];
        // `try_io` clears tokio's cached readiness when the read would block, so that
        // `readable()` waits for new data again.
        while pipe.readable().await.is_ok() {
            if self.read_available(stream, |buffer| pipe.try_io(|| read_now(pipe, buffer))) == Pipe::Closed {
                break;
            }
        }
        let mut state = self.lock();
        let rest = std::mem::take(&mut state.partial[stream as usize]);
        if !rest.is_empty() {
            self.emit(&mut state, &rest);
        }
    }

    /// Reads what both pipes hold right now, without waiting — and without trusting tokio's
    /// readiness, which may not have seen the newest data yet.
    pub fn drain(&self) {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let pipe = &self.pipes[stream as usize];
            self.read_available(stream, |buffer| read_now(pipe, buffer));
        }
    }

    /// A line written by the platform (START, END, REPORT…) into this instance's log.
    pub fn platform_line(&self, line: &str) {
        let mut state = self.lock();
        self.emit(&mut state, line.as_bytes());
    }

    /// Starts keeping the log of the invocation about to run.
    pub fn start_tail(&self) {
        self.lock().tail = Some(String::new());
    }

    /// The last [`TAIL_BYTES`] of the log since [`Output::start_tail`].
    pub fn take_tail(&self) -> Option<String> {
        let tail = self.lock().tail.take()?;
        Some(last_bytes(&tail, TAIL_BYTES).to_owned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_available(&self, stream: Stream, mut read: impl FnMut(&mut [u8]) -> io::Result<usize>) -> Pipe {
        let mut buffer = [0u8; 8192];
        let mut state = self.lock();
        loop {
            match read(&mut buffer) {
                Ok(0) => return Pipe::Closed,
                Ok(count) => self.take_bytes(&mut state, stream, &buffer[..count]),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Pipe::Open,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Pipe::Closed,
            }
        }
    }

    fn take_bytes(&self, state: &mut State, stream: Stream, bytes: &[u8]) {
        let mut partial = std::mem::take(&mut state.partial[stream as usize]);
        partial.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(newline) = partial[start..].iter().position(|&b| b == b'\n') {
            let line = &partial[start..start + newline];
            self.emit(state, line.strip_suffix(b"\r").unwrap_or(line));
            start += newline + 1;
        }
        while partial.len() - start >= MAX_LINE_BYTES {
            self.emit(state, &partial[start..start + MAX_LINE_BYTES]);
            start += MAX_LINE_BYTES;
        }
        partial.drain(..start);
        state.partial[stream as usize] = partial;
    }

    fn emit(&self, state: &mut State, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if let Some(tail) = &mut state.tail {
            tail.push_str(&text);
            tail.push('\n');
            if tail.len() > 2 * TAIL_BYTES {
                let keep = last_bytes(tail, TAIL_BYTES).len();
                tail.drain(..tail.len() - keep);
            }
        }
        self.log.line(format!("{}{text}", self.prefix));
    }
}

/// One read(2) on the (non-blocking) pipe.
fn read_now(pipe: &pipe::Receiver, buffer: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the buffer is valid for writes of its length, and the pipe's fd is open while we
    // borrow the receiver.
    let read = unsafe { libc::read(pipe.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
    if read < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(read as usize)
    }
}

/// The longest suffix of `text` of at most `limit` bytes that starts on a character boundary.
fn last_bytes(text: &str, limit: usize) -> &str {
    let mut start = text.len().saturating_sub(limit);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Fixture {
        output: Output,
        log: LogSink,
        collected: Collected,
        stdout: std::fs::File,
        stderr: std::fs::File,
    }

    fn fixture() -> Fixture {
        let collected = Collected::default();
        let log = LogSink::new(collected.clone());
        let (stdout_writer, stdout) = pipe::pipe().unwrap();
        let (stderr_writer, stderr) = pipe::pipe().unwrap();
        let output = Output::new("[f i] ".into(), log.clone(), stdout, stderr);
        let blocking = |writer: pipe::Sender| std::fs::File::from(writer.into_blocking_fd().unwrap());
        Fixture { output, log, collected, stdout: blocking(stdout_writer), stderr: blocking(stderr_writer) }
    }

    impl Fixture {
        fn logged(&self) -> String {
            self.log.flush();
            String::from_utf8(self.collected.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[tokio::test]
    async fn drain_puts_output_written_before_the_answer_ahead_of_the_platform_lines() {
        let mut f = fixture();
        f.output.start_tail();
        f.output.platform_line("START RequestId: 1");
        f.stdout.write_all(b"hello from the handler\npartial ").unwrap();
        f.stderr.write_all(b"warning\r\n").unwrap();
        f.output.drain();
        f.output.platform_line("END RequestId: 1");
        assert_eq!(
            f.logged(),
            "[f i] START RequestId: 1\n[f i] hello from the handler\n[f i] warning\n[f i] END RequestId: 1\n"
        );
        assert_eq!(
            f.output.take_tail().unwrap(),
            "START RequestId: 1\nhello from the handler\nwarning\nEND RequestId: 1\n"
        );
        assert_eq!(f.output.take_tail(), None, "the tail belongs to one invocation");
    }

    #[tokio::test]
    async fn follow_forwards_until_the_pipe_closes_and_flushes_the_last_partial_line() {
        let f = fixture();
        let Fixture { output, log, collected, mut stdout, stderr } = f;
        let output = Arc::new(output);
        let follower = tokio::spawn({
            let output = output.clone();
            async move { output.follow(Stream::Stdout).await }
        });
        stdout.write_all(b"one\ntwo").unwrap();
        drop(stdout);
        follower.await.unwrap();
        drop(stderr);
        log.flush();
        assert_eq!(String::from_utf8(collected.0.lock().unwrap().clone()).unwrap(), "[f i] one\n[f i] two\n");
    }

    #[tokio::test]
    async fn the_tail_keeps_the_last_four_kilobytes_and_long_lines_are_cut() {
        let mut f = fixture();
        f.output.start_tail();
        for n in 0..500 {
            writeln!(f.stdout, "line {n:04} {}", "x".repeat(40)).unwrap();
        }
        f.stdout.write_all(&vec![b'y'; MAX_LINE_BYTES + 10]).unwrap();
        f.output.drain();
        let tail = f.output.take_tail().unwrap();
        assert_eq!(tail.len(), TAIL_BYTES);
        assert!(tail.ends_with(&format!("{}\n", "y".repeat(100))), "the cut line is emitted");
        let logged = f.logged();
        assert!(logged.contains("[f i] line 0000 "));
        assert_eq!(logged.lines().count(), 501, "500 lines and one cut at {MAX_LINE_BYTES} bytes");
    }

    #[test]
    fn last_bytes_never_splits_a_character() {
        assert_eq!(last_bytes("aé", 1), "");
        assert_eq!(last_bytes("aé", 2), "é");
        assert_eq!(last_bytes("abc", 10), "abc");
    }
}
