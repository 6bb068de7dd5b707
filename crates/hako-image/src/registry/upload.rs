//! Blob uploads (OCI distribution spec, "Pushing blobs"): a cross-repository mount first
//! when the blob may be in another repository of the registry, else the bytes, either
//! whole (`POST` then `PUT ?digest=` with the body) or, above [`Chunking::threshold`], in
//! chunks (`POST`, one `PATCH` per chunk with `Content-Range`, `PUT ?digest=` to close).
//!
//! A registry answers each step with the `Location` of the next one (distribution
//! encodes its upload state there, so every answer's own `Location` is used, never the
//! first one again), may ask for a minimum chunk size (`OCI-Chunk-Min-Length`), and
//! answers `416` to a chunk that does not start where it stands; then its upload status
//! (`GET` on the location, `Range: 0-<last>`) says where to go on from.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use tracing::debug;
use ureq::SendBody;
use ureq::http::{Response, StatusCode};

use super::client::{Client, header, read_small, status_error};
use crate::digest::Digest;
use crate::error::{Error, RegistryErrorKind, Result};

/// When and how blobs are sent in chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Blobs larger than this go in chunks; smaller ones in one `PUT`.
    pub threshold: u64,
    /// Bytes per `PATCH` (raised to the registry's `OCI-Chunk-Min-Length`).
    pub chunk_size: u64,
}

impl Chunking {
    /// 16 MiB: configs and small layers go whole, big layers in chunks.
    pub const DEFAULT_THRESHOLD: u64 = 16 << 20;
    /// 16 MiB per chunk: few round trips, and a failed chunk costs little to resend.
    pub const DEFAULT_CHUNK_SIZE: u64 = 16 << 20;
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking {
            threshold: Self::DEFAULT_THRESHOLD,
            chunk_size: Self::DEFAULT_CHUNK_SIZE,
        }
    }
}

/// What [`Client::upload_blob`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// The bytes were sent in one request.
    Pushed,
    /// The bytes were sent in this many chunks.
    Chunked(u32),
    /// The registry mounted the blob from another repository.
    Mounted,
}

/// `416` answers in a row before giving up: each one moves to the registry's offset, so
/// more than a few means it is not moving.
const MAX_RANGE_RETRIES: u32 = 3;

impl Client {
    /// Uploads the file at `path` (`size` bytes) as blob `digest`: a cross-repository
    /// mount from `from` first when given (`POST .../uploads/?mount=&from=`), else the
    /// bytes, whole or in chunks as `chunking` says. `progress` gets the bytes sent so far
    /// after each chunk.
    pub fn upload_blob(
        &self,
        digest: &Digest,
        path: &Path,
        size: u64,
        from: Option<&str>,
        chunking: Chunking,
        progress: &dyn Fn(u64),
    ) -> Result<Uploaded> {
        let uploads = format!("{}/v2/{}/blobs/uploads/", self.base(), self.repo());
        let start = match from {
            Some(from) => format!("{uploads}?mount={digest}&from={from}"),
            None => uploads.clone(),
        };
        let mut resp = self.send_body("POST", &start, None, None, || Ok(&[][..]))?;
        let status = resp.status();
        if status == StatusCode::CREATED && from.is_some() {
            return Ok(Uploaded::Mounted);
        }
        if !status.is_success() {
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || {
                format!("starting the upload of blob {digest}")
            }));
        }
        let location = self.location(&resp, digest)?;
        if size <= chunking.threshold {
            self.put_whole(digest, path, &location)?;
            return Ok(Uploaded::Pushed);
        }
        let min = header(&resp, "oci-chunk-min-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let chunk = chunking.chunk_size.max(min).max(1);
        let (location, chunks) =
            self.patch_chunks(digest, path, size, chunk, location, progress)?;
        let close = with_digest(&location, digest);
        let mut resp = self.send_body("PUT", &close, None, None, || Ok(&[][..]))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || {
                format!("closing the upload of blob {digest}")
            }));
        }
        Ok(Uploaded::Chunked(chunks))
    }

    /// Monolithic: `PUT <location>?digest=` with the whole file.
    fn put_whole(&self, digest: &Digest, path: &Path, location: &str) -> Result<()> {
        let put = with_digest(location, digest);
        let mut resp =
            self.send_body("PUT", &put, None, Some("application/octet-stream"), || {
                File::open(path).map_err(|source| read_error(digest, source))
            })?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || {
                format!("uploading blob {digest}")
            }));
        }
        Ok(())
    }

    /// Sends `[offset, size)` in `PATCH`es of `chunk` bytes. Returns the location to close
    /// the upload at and the number of chunks sent.
    fn patch_chunks(
        &self,
        digest: &Digest,
        path: &Path,
        size: u64,
        chunk: u64,
        mut location: String,
        progress: &dyn Fn(u64),
    ) -> Result<(String, u32)> {
        let mut offset = 0u64;
        let mut sent = 0u32;
        let mut refused = 0u32;
        while offset < size {
            let len = chunk.min(size - offset);
            let range = format!("{offset}-{}", offset + len - 1);
            let mut resp = self.send_with(
                "PATCH",
                &location,
                None,
                Some("application/octet-stream"),
                &[
                    ("Content-Range", range.clone()),
                    ("Content-Length", len.to_string()),
                ],
                || {
                    let mut f = File::open(path).map_err(|source| read_error(digest, source))?;
                    f.seek(SeekFrom::Start(offset))
                        .map_err(|source| read_error(digest, source))?;
                    Ok(SendBody::from_owned_reader(f.take(len)))
                },
            )?;
            match resp.status() {
                StatusCode::RANGE_NOT_SATISFIABLE if refused < MAX_RANGE_RETRIES => {
                    refused += 1;
                    let (at, next) = self.upload_status(digest, &location)?;
                    debug!(%digest, %range, resumed_at = at, "chunk refused (416), resuming at the registry's offset");
                    offset = at;
                    location = next;
                }
                s if s.is_success() => {
                    refused = 0;
                    sent += 1;
                    let next = self.location(&resp, digest)?;
                    // The registry's own count wins over ours when it says more than
                    // where this chunk started (`0-0` is ambiguous).
                    offset = match received(&resp) {
                        Some(r) if r > offset => r,
                        _ => offset + len,
                    };
                    location = next;
                    progress(offset.min(size));
                }
                status => {
                    let body = read_small(&mut resp);
                    return Err(status_error(status, &body, || {
                        format!("uploading bytes {range} of blob {digest}")
                    }));
                }
            }
        }
        Ok((location, sent))
    }

    /// `GET <location>`: where the registry stands in an upload (the offset after its
    /// last byte) and the location to go on at.
    fn upload_status(&self, digest: &Digest, location: &str) -> Result<(u64, String)> {
        let mut resp = self.send("GET", location, None)?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_small(&mut resp);
            return Err(status_error(status, &body, || {
                format!("upload status of blob {digest}")
            }));
        }
        let next = self
            .location(&resp, digest)
            .unwrap_or_else(|_| location.to_owned());
        Ok((received(&resp).unwrap_or(0), next))
    }

    /// The absolute URL of an answer's `Location`.
    fn location(&self, resp: &Response<ureq::Body>, digest: &Digest) -> Result<String> {
        let location = header(resp, "location").ok_or_else(|| Error::Registry {
            kind: RegistryErrorKind::Unavailable,
            message: format!("upload of blob {digest}: no Location in the registry's answer"),
        })?;
        Ok(if location.starts_with('/') {
            format!("{}{location}", self.base())
        } else {
            location
        })
    }
}

/// Bytes the registry holds, from its `Range: 0-<last>` header (`0-0` with no bytes is
/// ambiguous in the spec; distribution sends it for an empty upload, so 0 then).
fn received(resp: &Response<ureq::Body>) -> Option<u64> {
    let range = header(resp, "range")?;
    let range = range.trim().trim_start_matches("bytes=");
    let (start, end) = range.split_once('-')?;
    let (start, end) = (start.parse::<u64>().ok()?, end.parse::<u64>().ok()?);
    if start != 0 {
        return None;
    }
    Some(if end == 0 { 0 } else { end + 1 })
}

fn with_digest(location: &str, digest: &Digest) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}

fn read_error(digest: &Digest, source: std::io::Error) -> Error {
    Error::Read {
        what: format!("blob {digest}"),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_range(range: Option<&str>) -> Response<ureq::Body> {
        let mut b = ureq::http::Response::builder();
        if let Some(r) = range {
            b = b.header("Range", r);
        }
        b.body(ureq::Body::builder().data("")).expect("response")
    }

    #[test]
    fn the_registry_range_is_the_offset_after_its_last_byte() {
        assert_eq!(received(&with_range(Some("0-16777215"))), Some(16 << 20));
        assert_eq!(received(&with_range(Some("bytes=0-99"))), Some(100));
        // distribution's answer for an empty upload.
        assert_eq!(received(&with_range(Some("0-0"))), Some(0));
        assert_eq!(received(&with_range(Some("5-9"))), None);
        assert_eq!(received(&with_range(Some("junk"))), None);
        assert_eq!(received(&with_range(None)), None);
    }

    #[test]
    fn the_digest_joins_the_location_query() {
        let d = Digest::of(b"x");
        assert_eq!(
            with_digest("http://r/v2/a/blobs/uploads/u?_state=s", &d),
            format!("http://r/v2/a/blobs/uploads/u?_state=s&digest={d}")
        );
        assert_eq!(
            with_digest("http://r/v2/a/blobs/uploads/u", &d),
            format!("http://r/v2/a/blobs/uploads/u?digest={d}")
        );
    }
}
