//! COPY's text format: fields separated by tabs, `\N` for NULL, backslash escapes for
//! control characters, octal and hex bytes (what `COPY … TO` prints, undone).

use super::lexer::hex_val;

/// Undoes the backslash escapes of one COPY text-format field into `decoded`.
pub(super) fn unescape(raw: &[u8], decoded: &mut Vec<u8>) {
    decoded.clear();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 == raw.len() {
            decoded.push(b);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b'b' => decoded.push(8),
            b'f' => decoded.push(12),
            b'n' => decoded.push(b'\n'),
            b'r' => decoded.push(b'\r'),
            b't' => decoded.push(b'\t'),
            b'v' => decoded.push(11),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + (raw[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                decoded.push((v & 0xff) as u8);
            }
            b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                let mut v = hex_val(raw[i]);
                i += 1;
                if i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + hex_val(raw[i]);
                    i += 1;
                }
                decoded.push(v);
            }
            other => decoded.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        unescape(raw, &mut out);
        out
    }

    #[test]
    fn control_characters_octal_and_hex_bytes() {
        assert_eq!(field(br"a\tb\nc\\d"), b"a\tb\nc\\d");
        assert_eq!(field(br"\b\f\r\v"), [8, 12, b'\r', 11]);
        assert_eq!(field(br"\101\7\x41\x4"), b"A\x07A\x04");
        // An unknown escape is the character itself; a trailing backslash stays.
        assert_eq!(field(br"\q\"), b"q\\");
    }
}
