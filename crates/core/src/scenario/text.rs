//! A scenario file's bytes as text, in the encodings the files a Chinese police GIS team holds
//! come in: UTF-8 (with or without the byte-order mark Excel writes), UTF-16 with its mark
//! (Excel's "Unicode text"), or else GB18030, the superset of GBK that Chinese Excel and
//! Windows tools write. The encoding found is said, so an import report can tell it.

use std::borrow::Cow;

/// The encoding a text was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-8 with a byte-order mark.
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    /// UTF-16, little-endian, with its byte-order mark.
    #[serde(rename = "utf-16le")]
    Utf16le,
    /// UTF-16, big-endian, with its byte-order mark.
    #[serde(rename = "utf-16be")]
    Utf16be,
    /// GB18030 (read as such, GBK and GB2312 are part of it): the text was not UTF-8.
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl TextEncoding {
    /// Its name as reports and the JSON say it.
    ///
    /// ```
    /// use patrolmap_core::scenario::TextEncoding;
    /// assert_eq!(TextEncoding::Gb18030.as_str(), "gb18030");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16le => "utf-16le",
            TextEncoding::Utf16be => "utf-16be",
            TextEncoding::Gb18030 => "gb18030",
        }
    }
}

/// Why bytes are not text in any encoding tried.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the file is neither UTF-8 nor GBK/GB18030 text (first bad byte at offset {offset})")]
pub struct EncodingError {
    /// Where UTF-8 reading failed.
    pub offset: usize,
}

/// `bytes` as text, and the encoding they were found in. A byte-order mark decides; without
/// one, UTF-8 when the bytes are valid UTF-8 (GBK text almost never is), else GB18030.
///
/// ```
/// use patrolmap_core::scenario::{decode_text, TextEncoding};
/// // "岗亭" as Chinese Excel saves it (GBK).
/// let (text, found) = decode_text(&[0xb8, 0xda, 0xcd, 0xa4]).unwrap();
/// assert_eq!((text.as_ref(), found), ("岗亭", TextEncoding::Gb18030));
/// assert_eq!(decode_text("\u{feff}lon".as_bytes()).unwrap().1, TextEncoding::Utf8Bom);
/// ```
pub fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), EncodingError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let found = if encoding == encoding_rs::UTF_8 {
            TextEncoding::Utf8Bom
        } else if encoding == encoding_rs::UTF_16LE {
            TextEncoding::Utf16le
        } else {
            TextEncoding::Utf16be
        };
        let rest = &bytes[bom..];
        return encoding
            .decode_without_bom_handling_and_without_replacement(rest)
            .map(|text| (text, found))
            .ok_or(EncodingError {
                offset: bom + valid_up_to(rest),
            });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Cow::Borrowed(text), TextEncoding::Utf8)),
        Err(e) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| (text, TextEncoding::Gb18030))
            .ok_or(EncodingError {
                offset: e.valid_up_to(),
            }),
    }
}

fn valid_up_to(bytes: &[u8]) -> usize {
    std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_is_found_and_read() {
        let text = "kind,名称\npost,岳塘区岗亭\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(
            decode_text(&gbk).unwrap(),
            (Cow::Owned(text.to_string()), TextEncoding::Gb18030)
        );
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom).unwrap().0, text);
        assert_eq!(decode_text(&bom).unwrap().1, TextEncoding::Utf8Bom);
        let mut utf16: Vec<u8> = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode_text(&utf16).unwrap(),
            (Cow::Owned(text.to_string()), TextEncoding::Utf16le)
        );
        assert_eq!(decode_text(text.as_bytes()).unwrap().1, TextEncoding::Utf8);
    }

    #[test]
    fn the_json_says_each_as_as_str_does() {
        for e in [
            TextEncoding::Utf8,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16le,
            TextEncoding::Utf16be,
            TextEncoding::Gb18030,
        ] {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn bytes_that_are_no_text_are_refused_with_where() {
        // 0xff never starts a GB18030 character, and is not UTF-8.
        assert_eq!(
            decode_text(b"lon,lat\n\xff\xff").unwrap_err(),
            EncodingError { offset: 8 }
        );
    }
}
