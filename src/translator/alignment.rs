//! Source↔target alignments of a translation: which source token each generated token attended
//! to most in the decoder's last cross-attention layer (head average), and the byte spans of both
//! tokens in the source and the output text.
//!
//! Why the last layer averaged over heads: it is the attention the output projection reads, the
//! only one every Marian model has whatever its depth, and one distribution per step is all the
//! search has to carry along its beams. (Intermediate layers are often sharper aligners in large
//! models; picking one per model would need a hand-aligned set per language pair.)

use crate::error::Result;
use crate::tokenizer::Tokenizer;

/// One link: target token `target_token` (an index into the generated ids) is aligned to source
/// token `source_token` (an index into the source ids). The byte spans locate both tokens in the
/// source text and in the translation; a token with no surface of its own (`</s>`, a piece the
/// normaliser rewrote beyond recognition) has an empty span at the position it would take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlignmentLink {
    pub source_token: u32,
    pub target_token: u32,
    pub source_start: u32,
    pub source_end: u32,
    pub target_start: u32,
    pub target_end: u32,
}

/// A translation with its alignment.
#[derive(Clone, Copy, Debug)]
pub struct Aligned<'a> {
    /// The translation (the best hypothesis).
    pub text: &'a str,
    /// The source ids (with the final `</s>`).
    pub source_ids: &'a [u32],
    /// The generated ids (with the final `</s>`).
    pub target_ids: &'a [u32],
    /// One link per generated token other than `</s>`, in target order.
    pub links: &'a [AlignmentLink],
}

fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace()
}

/// Byte span of each source id in `text`, found by matching each piece's surface in order from
/// where the previous one ended; written to `spans` (cleared first).
pub(crate) fn source_spans(
    tok: &Tokenizer,
    text: &str,
    ids: &[u32],
    eos: u32,
    spans: &mut Vec<(u32, u32)>,
) {
    spans.clear();
    let bytes = text.as_bytes();
    let mut at = 0usize;
    for &id in ids {
        let piece = if id == eos {
            ""
        } else {
            tok.source_piece(id).unwrap_or("")
        };
        let surface = piece.trim_start_matches('\u{2581}');
        let mut start = at;
        while start < bytes.len() && is_space(bytes[start]) {
            start += 1;
        }
        let found = if surface.is_empty() {
            None
        } else if text[start..].starts_with(surface) {
            Some(start)
        } else {
            // A piece the normaliser changed (NFKC, quotes): look a little further for the next
            // piece's surface rather than lose the position for the rest of the sentence.
            let window = (start + 4 * surface.len() + 8).min(bytes.len());
            let window = (window..=bytes.len())
                .find(|&w| text.is_char_boundary(w))
                .unwrap_or(bytes.len());
            text[start..window].find(surface).map(|p| start + p)
        };
        match found {
            Some(p) => {
                let end = p + surface.len();
                spans.push((p as u32, end as u32));
                at = end;
            }
            None => spans.push((start as u32, start as u32)),
        }
    }
}

/// Byte span of each target id in the decoded `text`: the text the id adds when the ids are
/// decoded one more at a time (spaces before a word are not part of it). `scratch` holds the
/// prefix decodings.
pub(crate) fn target_spans(
    tok: &Tokenizer,
    ids: &[u32],
    text: &str,
    scratch: &mut String,
    spans: &mut Vec<(u32, u32)>,
) -> Result<()> {
    spans.clear();
    let bytes = text.as_bytes();
    let mut prev = 0usize;
    for i in 0..ids.len() {
        tok.decode(&ids[..=i], scratch)?;
        // Prefix decodings are prefixes of the full text except where a later piece changes an
        // earlier one (byte pieces completing a character): clamp to stay inside the text.
        let mut end = scratch.len().min(bytes.len()).max(prev);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut start = prev.min(end);
        while start < end && is_space(bytes[start]) {
            start += 1;
        }
        spans.push((start as u32, end as u32));
        prev = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_space_is_ascii_only() {
        assert!(is_space(b' ') && is_space(b'\n') && !is_space(b'a'));
    }
}
