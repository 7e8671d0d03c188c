//! Greedy and beam search over a "logits of this step" `Decoder`, and their state.
//!
//! Decoding follows `transformers`' `generate` for Marian exactly: the decoder starts with
//! `decoder_start_id`, forbidden ids (Marian's `<pad>`) get `-inf`, the last allowed step is forced
//! to `</s>` (Marian's `forced_eos_token_id`), greedy takes the arg-max of the processed logits, and
//! beam search keeps `2 × beams` candidates per step, scores finished hypotheses as
//! `sum_logprobs / generated_len ^ length_penalty` (generated length counts `</s>`, not the start
//! token) and stops with HF's default `early_stopping = false` heuristic.

mod search;
mod state;

pub(crate) use search::{search, Decoder, SearchParams};
pub(crate) use state::SearchState;
