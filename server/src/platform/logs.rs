//! The server log: CloudWatch-style lines and the functions' own output, on stdout.
//!
//! Lines go through a bounded queue to one writer thread, so an invocation never waits for a
//! terminal. The writer wakes at most every [`BATCH_INTERVAL`] and writes what queued up meanwhile
//! in one go: waking a thread per line would cost more than everything else an invocation does.
//! Past the queue's bound, lines are dropped and counted rather than slowing the platform down.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;

const QUEUE_LINES: usize = 16_384;
/// How long a line may wait to be written; short enough to read the log live.
const BATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(5);

enum Message {
    Line(String),
    /// Answered once every line queued before it is written and flushed.
    Flush(mpsc::Sender<()>),
}

#[derive(Clone)]
pub struct LogSink {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl LogSink {
    pub fn stdout() -> LogSink {
        LogSink::new(std::io::stdout())
    }

    pub fn new(output: impl Write + Send + 'static) -> LogSink {
        let (queue, lines) = mpsc::sync_channel(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_lines(lines, output, &counter))
            .expect("the OS refused a thread for the log writer at startup");
        LogSink { queue, dropped }
    }

    pub fn line(&self, line: String) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(Message::Line(line)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until everything logged so far is written out.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

fn write_lines(lines: Receiver<Message>, output: impl Write, dropped: &AtomicU64) {
    let mut output = std::io::BufWriter::with_capacity(64 * 1024, output);
    let write = |message: Message, output: &mut std::io::BufWriter<_>| match message {
        Message::Line(line) => {
            let _ = output.write_all(line.as_bytes());
            let _ = output.write_all(b"\n");
            None
        }
        Message::Flush(done) => Some(done),
    };
    while let Ok(first) = lines.recv() {
        let mut waiting = Vec::new();
        waiting.extend(write(first, &mut output));
        // While this thread sleeps, senders queue without waking it.
        thread::sleep(BATCH_INTERVAL);
        while let Ok(next) = lines.try_recv() {
            waiting.extend(write(next, &mut output));
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ =
                writeln!(output, "[serverless-deck] {lost} log lines dropped: the log output is too slow");
        }
        let _ = output.flush();
        for done in waiting {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_come_out_in_order_and_flush_waits_for_them() {
        let output = Shared::default();
        let log = LogSink::new(output.clone());
        for n in 0..1000 {
            log.line(format!("line {n}"));
        }
        log.flush();
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        let expected: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        assert_eq!(text, expected);
    }
}
