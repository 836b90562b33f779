//! Physical lines of a text file, for every line ending: `\n`, `\r\n` and a lone `\r` (old
//! Mac, some exporters) each end one line. Counting `\n` alone puts a CR-only file on line 1.

/// The number of line ends in `data[from..to]`: every `\n`, and every `\r` not followed by
/// `\n`. At the right edge `data[to]` is looked at, so a CRLF cut between its two bytes is
/// counted once (on the `\n` side), whichever way a file is cut into pieces.
pub fn breaks(data: &[u8], from: usize, to: usize) -> u64 {
    let to = to.min(data.len());
    if from >= to {
        return 0;
    }
    memchr::memchr2_iter(b'\n', b'\r', &data[from..to])
        .filter(|&i| data[from + i] == b'\n' || data.get(from + i + 1) != Some(&b'\n'))
        .count() as u64
}

/// The 1-based line of byte offset `at`.
pub fn line_of(data: &[u8], at: usize) -> u64 {
    1 + breaks(data, 0, at)
}

/// The 1-based line and column (in characters) of byte offset `at`.
pub fn line_column(data: &[u8], at: usize) -> (u64, usize) {
    let at = at.min(data.len());
    let before = &data[..at];
    let start = memchr::memrchr2(b'\n', b'\r', before).map_or(0, |n| n + 1);
    let column = 1 + before[start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    (line_of(data, at), column)
}

/// The offset of the first byte at or after `at` that is not a line end: where a record
/// starts once blank lines are stepped over.
pub fn skip_blank(data: &[u8], mut at: usize) -> usize {
    while matches!(data.get(at), Some(b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The offset just before the line ends that close `data[..end]` (at least `start`).
pub fn trim_end(data: &[u8], start: usize, mut end: usize) -> usize {
    end = end.min(data.len());
    while end > start && matches!(data[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_ending_counts_once() {
        for (text, lines) in [
            (&b"a\nb\nc"[..], 3),
            (b"a\r\nb\r\nc", 3),
            (b"a\rb\rc", 3),
            (b"a\n\nb\r\n\r\nc", 5),
            (b"a\r\rb", 3),
        ] {
            assert_eq!(line_of(text, text.len()), lines, "{text:?}");
        }
    }

    #[test]
    fn a_crlf_cut_in_two_counts_once() {
        let d = b"a\r\nb";
        assert_eq!(breaks(d, 0, 2) + breaks(d, 2, 4), 1);
        assert_eq!(breaks(d, 0, 3), 1);
    }

    #[test]
    fn columns_are_characters_after_any_line_end() {
        assert_eq!(line_column(b"ab\rc\xC3\xA9d", 6), (2, 3));
        assert_eq!(line_column(b"ab\r\ncd", 5), (2, 2));
    }
}
