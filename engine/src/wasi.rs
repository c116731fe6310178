//! The WASI a module is linked against, and what each part grants: nothing a module could use
//! to wait, to reach outside its instance or to make the host allocate without bound.
//!
//! Every interface a `wasm32-wasip2` standard library (or a Python or JavaScript runtime)
//! imports is linked, so such modules load; what the calls do is decided here and in
//! [`HostState::new`](crate::sandbox::HostState::new):
//!
//! * **clocks**: frozen at the epoch, and every subscription is ready at once: a `sleep` or a
//!   `poll` on a far-future instant returns immediately instead of blocking a host thread,
//!   where the epoch budget (which only interrupts wasm code) could not end it. Time does not
//!   pass inside a module, so a loop that waits for it spins until the budget ends it.
//! * **sockets**: linked but refused: no TCP, no UDP, no name lookup, no address allowed.
//! * **filesystem**: no preopened directories, so there is nothing to open.
//! * **stdout and stderr**: [`CapturedOutput`], which keeps a bounded prefix (for the host
//!   log and error reports) and drops the rest without failing the write.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, OutputStream, Pollable, StreamResult};

use crate::sandbox::HostState;

/// Adds WASI to `linker`, with the monotonic clock replaced by [`Timeless`].
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let added =
        monotonic_clock::add_to_linker::<HostState, TimelessClock>(linker, |state| Timeless {
            table: &mut state.table,
        });
    linker.allow_shadowing(false);
    added
}

/// `wasi:clocks/monotonic-clock` for modules: always at 0, every subscription ready.
pub(crate) struct Timeless<'a> {
    table: &'a mut ResourceTable,
}

/// The linker's handle on [`Timeless`].
struct TimelessClock;

impl HasData for TimelessClock {
    type Data<'a> = Timeless<'a>;
}

/// A pollable that is always ready.
struct Elapsed;

#[wasmtime_wasi::async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
}

impl Timeless<'_> {
    fn elapsed(&mut self) -> wasmtime::Result<Resource<DynPollable>> {
        let elapsed = self.table.push(Elapsed)?;
        wasmtime_wasi::p2::subscribe(self.table, elapsed)
    }
}

impl monotonic_clock::Host for Timeless<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(0)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1_000_000_000)
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }

    fn subscribe_duration(
        &mut self,
        _duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }
}

/// Largest write a module is offered at once. `check-write` permits bound what the host
/// allocates for one call (`write-zeroes` allocates the whole permit).
const WRITE_PERMIT: usize = 4096;

/// A module's stdout or stderr: the first `capacity` bytes are kept, the rest are counted and
/// dropped. Writes never fail, because a failed write traps the module and would fail a
/// batch that is otherwise fine.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    capacity: usize,
    captured: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: u64,
}

impl CapturedOutput {
    /// A stream that keeps at most `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            captured: Arc::default(),
        }
    }

    /// The bytes kept, and how many more were dropped.
    pub(crate) fn contents(&self) -> (Vec<u8>, u64) {
        let captured = self.lock();
        (captured.bytes.clone(), captured.dropped)
    }

    fn keep(&self, bytes: &[u8]) {
        let mut captured = self.lock();
        let room = self.capacity.saturating_sub(captured.bytes.len());
        let kept = bytes.len().min(room);
        captured.bytes.extend_from_slice(&bytes[..kept]);
        captured.dropped += (bytes.len() - kept) as u64;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        // The buffer is plain bytes: a panic elsewhere cannot leave it inconsistent.
        self.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn captured_output_keeps_its_capacity_and_counts_the_rest() {
        let out = CapturedOutput::new(8);
        let mut stream = out.p2_stream();
        stream.write(bytes::Bytes::from_static(b"hello ")).unwrap();
        stream.write(bytes::Bytes::from_static(b"world!")).unwrap();
        assert_eq!(stream.check_write().unwrap(), WRITE_PERMIT);
        assert_eq!(out.contents(), (b"hello wo".to_vec(), 4));
    }
}
