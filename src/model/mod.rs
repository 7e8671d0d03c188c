//! Model files: GGUF reading, validation and weight views. (Being built.)
