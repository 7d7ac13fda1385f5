//! Streaming text piece by piece when a character may span two tokens.

/// The complete UTF-8 text at the front of `bytes`, removed from it; a
/// character split across tokens waits for its other bytes.
pub(super) fn take_utf8(bytes: &mut Vec<u8>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            let s = s.to_string();
            bytes.clear();
            s
        }
        Err(e) if e.error_len().is_none() => {
            let n = e.valid_up_to();
            let s = String::from_utf8_lossy(&bytes[..n]).into_owned();
            bytes.drain(..n);
            s
        }
        Err(_) => {
            let s = String::from_utf8_lossy(bytes).into_owned();
            bytes.clear();
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_wait_for_their_other_bytes() {
        let mut b = "¡ho".as_bytes()[..1].to_vec();
        assert_eq!(take_utf8(&mut b), "");
        b.extend_from_slice(&"¡ho".as_bytes()[1..]);
        assert_eq!(take_utf8(&mut b), "¡ho");
        assert!(b.is_empty());
    }
}
