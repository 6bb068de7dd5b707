//! Docker's stdout/stderr multiplexing (non-tty attach, logs, exec) and JSON-lines bodies.
//!
//! A multiplexed stream is a sequence of frames: one byte of stream id (0 stdin, 1 stdout,
//! 2 stderr, 3 a daemon-side error), three zero bytes, a big-endian u32 payload length,
//! then the payload.

/// Which stream a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdin,
    Stdout,
    Stderr,
    /// The daemon reports an error in-band (`Systemerr`).
    SystemErr,
}

/// A header we cannot interpret: the stream is not multiplexed after all, or corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognized stream id {0} in multiplexed output")]
pub struct BadFrame(pub u8);

/// Incremental demultiplexer: feed it bytes as they arrive, take out whole frames.
#[derive(Debug, Default)]
pub struct Demuxer {
    buf: Vec<u8>,
}

impl Demuxer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `data`, returns every complete frame now available, in order.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<(StreamKind, Vec<u8>)>, BadFrame> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        let mut pos = 0;
        while self.buf.len() - pos >= 8 {
            let h = &self.buf[pos..pos + 8];
            let kind = match h[0] {
                0 => StreamKind::Stdin,
                1 => StreamKind::Stdout,
                2 => StreamKind::Stderr,
                3 => StreamKind::SystemErr,
                other => return Err(BadFrame(other)),
            };
            let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
            if self.buf.len() - pos - 8 < len {
                break;
            }
            out.push((kind, self.buf[pos + 8..pos + 8 + len].to_vec()));
            pos += 8 + len;
        }
        self.buf.drain(..pos);
        Ok(out)
    }

    /// Bytes of an incomplete frame left at the end of the stream.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// Splits a byte stream into lines (for JSON-lines bodies such as `/events`).
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    pub fn feed(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        while let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            let line = line[..line.len() - 1].to_vec();
            if !line.iter().all(u8::is_ascii_whitespace) {
                out.push(line);
            }
        }
        out
    }

    /// What is left when the stream ends without a final newline.
    pub fn finish(self) -> Option<Vec<u8>> {
        (!self.buf.iter().all(u8::is_ascii_whitespace)).then_some(self.buf)
    }
}

/// The lines of a JSON-lines response body (progress of pull, push, import and load;
/// `/events`), as they arrive.
#[derive(Debug)]
pub struct BodyLines {
    body: hyper::body::Incoming,
    lines: LineSplitter,
    ready: std::collections::VecDeque<Vec<u8>>,
}

impl BodyLines {
    pub fn new(resp: http::Response<hyper::body::Incoming>) -> Self {
        Self {
            body: resp.into_body(),
            lines: LineSplitter::default(),
            ready: std::collections::VecDeque::new(),
        }
    }

    /// The next non-blank line, without its newline; `None` at the end of the body (an
    /// unterminated last line is dropped, as the docker CLI's decoder does).
    pub async fn next_line(&mut self) -> Result<Option<Vec<u8>>, super::ClientError> {
        use http_body_util::BodyExt;
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            let Some(frame) = self.body.frame().await else {
                return Ok(None);
            };
            let frame = frame.map_err(|e| super::ClientError::Decode(e.to_string()))?;
            if let Some(data) = frame.data_ref() {
                self.ready.extend(self.lines.feed(data));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![id, 0, 0, 0];
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn demux_split_anywhere() {
        let mut all = frame(1, b"hello\n");
        all.extend(frame(2, b"oops\n"));
        all.extend(frame(1, b""));
        all.extend(frame(1, b"x"));
        // Feed byte by byte: frames come out whole and in order.
        let mut d = Demuxer::new();
        let mut got = Vec::new();
        for b in &all {
            got.extend(d.feed(std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(
            got,
            vec![
                (StreamKind::Stdout, b"hello\n".to_vec()),
                (StreamKind::Stderr, b"oops\n".to_vec()),
                (StreamKind::Stdout, vec![]),
                (StreamKind::Stdout, b"x".to_vec()),
            ]
        );
        assert_eq!(d.pending(), 0);
        let mut d = Demuxer::new();
        assert_eq!(d.feed(&all[..10]).unwrap().len(), 0);
        assert_eq!(d.pending(), 10);
        assert_eq!(d.feed(&all[10..]).unwrap().len(), 4);
    }

    #[test]
    fn demux_rejects_garbage() {
        let mut d = Demuxer::new();
        assert_eq!(d.feed(b"hello world!").unwrap_err(), BadFrame(b'h'));
        let mut d = Demuxer::new();
        let got = d.feed(&frame(3, b"boom")).unwrap();
        assert_eq!(got, vec![(StreamKind::SystemErr, b"boom".to_vec())]);
    }

    #[test]
    fn lines() {
        let mut s = LineSplitter::default();
        assert!(s.feed(b"{\"a\":").is_empty());
        assert_eq!(s.feed(b"1}\n\n{\"b\"").len(), 1);
        assert_eq!(s.finish().unwrap(), b"{\"b\"");
    }
}
