//! How a grant's frozen basis is kept (migration 0032): apart from the `grants` row (so that
//! approval, payment-file and reconciliation queries scan narrow rows), in `grant_basis`
//! keyed by the grant id, as a zstd frame compressed against a *dictionary*: the full text of
//! another basis of the same run and call (`grant_basis_dictionaries`), which has the same
//! item, policy document, period and explanation shape, so a basis of about 1.1 KB packs
//! into a few dozen bytes plus what differs (facts, values, amount). Unpacking gives the
//! exact canonical text back; its SHA-256 is the grant's `basis_hash`, as before.
//!
//! Grants stored before 0032 keep their text in `grants.basis` (new ones store `''` there):
//! the backends read `grant_basis` when a row is there and `grants.basis` otherwise.

use crate::{Result, StoreError};

/// zstd level: the dictionary does the work; a higher level buys little on 1 KB texts.
const LEVEL: i32 = 1;

fn codec(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("grant basis (zstd): {e}"))
}

/// Packs basis texts against one dictionary (a basis text of the same run).
pub struct BasisPacker {
    compressor: zstd::bulk::Compressor<'static>,
    /// Where each frame is compressed (room for the worst case): the body returned is a
    /// copy of exactly its bytes. A body compressed straight into a vector of its own kept
    /// that vector's worst-case capacity (about the text's size) for as long as the grant
    /// was held: 3.1 GiB for a pass over 1.8 million grants.
    scratch: Vec<u8>,
}

impl BasisPacker {
    pub fn new(dictionary: &[u8]) -> Result<BasisPacker> {
        let mut compressor = zstd::bulk::Compressor::with_dictionary(LEVEL, dictionary).map_err(codec)?;
        // The frame records the text's size (so unpacking knows it) and no checksum: the
        // grant's basis_hash is the check.
        compressor.include_contentsize(true).map_err(codec)?;
        compressor.include_checksum(false).map_err(codec)?;
        compressor.include_dictid(false).map_err(codec)?;
        Ok(BasisPacker { compressor, scratch: Vec::new() })
    }

    pub fn pack(&mut self, text: &[u8]) -> Result<Vec<u8>> {
        self.scratch.clear();
        self.scratch.reserve(zstd::zstd_safe::compress_bound(text.len()));
        self.compressor.compress_to_buffer(text, &mut self.scratch).map_err(codec)?;
        Ok(self.scratch.as_slice().to_vec())
    }
}

/// The basis text of a packed body (`dictionary` as it was packed against).
pub fn unpack(dictionary: &[u8], body: &[u8]) -> Result<String> {
    let size = zstd::bulk::Decompressor::upper_bound(body)
        .ok_or_else(|| StoreError::Backend("grant basis: a packed body without its size".into()))?;
    let mut d = zstd::bulk::Decompressor::with_dictionary(dictionary).map_err(codec)?;
    let bytes = d.decompress(body, size).map_err(codec)?;
    String::from_utf8(bytes).map_err(|e| StoreError::Backend(format!("grant basis: not UTF-8: {e}")))
}

/// Packs `texts` (each a basis of one run) against the first of them: the dictionary and
/// the packed bodies, in order. No texts: an empty dictionary and no bodies.
pub fn pack_all(texts: &[&[u8]]) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let Some(first) = texts.first() else { return Ok((Vec::new(), Vec::new())) };
    let mut p = BasisPacker::new(first)?;
    let bodies = texts.iter().map(|t| p.pack(t)).collect::<Result<Vec<_>>>()?;
    Ok((first.to_vec(), bodies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_basis_unpacks_to_its_exact_text_and_is_small() {
        let a = r#"{"amount":"50000.00","document":"园区发〔2022〕1号","explanation":{"children":[{"expr":"revenue[year - 1] >= 20000000","outcome":"true","values":{"revenue[2021]":"31234567"}}],"expr":"assistance_target and revenue[year - 1] >= 20000000","outcome":"true"},"item":"zone-award","period":"2022"}"#;
        let b = a.replace("31234567", "29876543");
        let (dict, bodies) = pack_all(&[a.as_bytes(), b.as_bytes()]).unwrap();
        assert_eq!(dict, a.as_bytes());
        assert_eq!(unpack(&dict, &bodies[0]).unwrap(), a);
        assert_eq!(unpack(&dict, &bodies[1]).unwrap(), b);
        assert!(bodies[1].len() * 4 < b.len(), "{} bytes for {}", bodies[1].len(), b.len());
        // Against another dictionary it does not come back as the text.
        assert!(unpack(b"something else entirely", &bodies[1]).map_or(true, |t| t != b));
    }
}
