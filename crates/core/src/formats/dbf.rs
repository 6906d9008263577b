//! dBASE tables (a Shapefile's `.dbf`): read with the text encoding the `.cpg` or the table's
//! language byte names, or else the one its text is in (UTF-8 when valid, GBK/GB18030
//! otherwise: Chinese ArcGIS and SuperMap write GBK without a `.cpg`); written in UTF-8 or GBK.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};
use geojson::{JsonObject, JsonValue};

use super::FormatError;
use crate::scenario::TextEncoding;

/// The encoding a `.cpg` names, when patrolmap knows it.
fn cpg_encoding(cpg: &str) -> Option<&'static Encoding> {
    let label = cpg.trim().to_ascii_lowercase();
    match label.as_str() {
        "936" | "cp936" | "gbk" | "gb2312" | "ms936" => Some(GBK),
        "gb18030" | "54936" => Some(GB18030),
        "65001" | "utf8" | "utf-8" => Some(UTF_8),
        other => Encoding::for_label(other.as_bytes()),
    }
}

/// A table's rows as properties, and the encoding its text was read in.
pub(super) fn read(
    bytes: &[u8],
    cpg: Option<&str>,
) -> Result<(Vec<JsonObject>, TextEncoding), FormatError> {
    let bad = |reason: &str| FormatError::Invalid {
        part: "dbf",
        reason: reason.to_string(),
    };
    if bytes.len() < 33 {
        return Err(bad("shorter than a dBASE header"));
    }
    let records = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let record_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    let language = bytes[29];
    let mut fields = Vec::new();
    let mut at = 32;
    while at + 32 <= header_len.min(bytes.len()) && bytes[at] != 0x0d {
        let d = &bytes[at..at + 32];
        let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
        fields.push((d[..name_end].to_vec(), d[11], d[16] as usize));
        at += 32;
    }
    if header_len > bytes.len() || fields.iter().map(|f| f.2).sum::<usize>() + 1 > record_len.max(1)
    {
        return Err(bad("its header does not match its fields"));
    }
    let rows: Vec<&[u8]> = (0..records)
        .map_while(|r| bytes.get(header_len + r * record_len..header_len + (r + 1) * record_len))
        .collect();
    let named = cpg.and_then(cpg_encoding).or(match language {
        0x4d => Some(GBK),
        _ => None,
    });
    // The text decides when nothing names an encoding: UTF-8 if every text is UTF-8.
    let encoding = named.unwrap_or_else(|| {
        let all_utf8 = fields
            .iter()
            .all(|(name, _, _)| std::str::from_utf8(name).is_ok())
            && rows.iter().all(|row| std::str::from_utf8(row).is_ok());
        if all_utf8 {
            UTF_8
        } else {
            GB18030
        }
    });
    let found = if encoding == UTF_8 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Gb18030
    };
    let names: Vec<String> = fields
        .iter()
        .map(|(n, _, _)| encoding.decode_without_bom_handling(n).0.trim().to_string())
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.first() == Some(&b'*') {
            continue; // deleted
        }
        let mut props = JsonObject::new();
        let mut at = 1;
        for ((_, kind, len), name) in fields.iter().zip(&names) {
            let raw = &row[at..at + len];
            at += len;
            let text = encoding.decode_without_bom_handling(raw).0;
            let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
            let value = match kind {
                b'N' | b'F' => match text.parse::<f64>() {
                    Ok(v) => serde_json::json!(v),
                    Err(_) if text.is_empty() || text.starts_with('*') => JsonValue::Null,
                    Err(_) => JsonValue::String(text.to_string()),
                },
                b'L' => match text {
                    "T" | "t" | "Y" | "y" => JsonValue::Bool(true),
                    "F" | "f" | "N" | "n" => JsonValue::Bool(false),
                    _ => JsonValue::Null,
                },
                b'D' if text.len() == 8 => {
                    JsonValue::String(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]))
                }
                _ if text.is_empty() => JsonValue::Null,
                _ => JsonValue::String(text.to_string()),
            };
            props.insert(name.clone(), value);
        }
        out.push(props);
    }
    Ok((out, found))
}

/// The text encodings patrolmap writes tables in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DbfEncoding {
    /// UTF-8 (`.cpg` says `UTF-8`): QGIS, GDAL and ArcGIS 10.x and later read it.
    #[default]
    Utf8,
    /// GBK (`.cpg` says `GBK`), for older Chinese GIS tools.
    Gbk,
}

impl DbfEncoding {
    /// What the `.cpg` holds.
    pub fn cpg(self) -> &'static str {
        match self {
            DbfEncoding::Utf8 => "UTF-8",
            DbfEncoding::Gbk => "GBK",
        }
    }

    fn encode(self, text: &str) -> Vec<u8> {
        match self {
            DbfEncoding::Utf8 => text.as_bytes().to_vec(),
            DbfEncoding::Gbk => GBK.encode(text).0.into_owned(),
        }
    }
}

/// `text` cut to at most `len` bytes without splitting a character.
fn cut(encoding: DbfEncoding, text: &str, len: usize) -> Vec<u8> {
    let mut end = text.len();
    loop {
        let bytes = encoding.encode(&text[..end]);
        if bytes.len() <= len {
            return bytes;
        }
        end = text[..end].char_indices().last().map_or(0, |(i, _)| i);
    }
}

/// A table of `rows` (the union of their properties as columns: numbers as `N`, anything else
/// as text of up to 254 bytes).
pub(super) fn write(rows: &[&JsonObject], encoding: DbfEncoding) -> Vec<u8> {
    let mut columns: Vec<(String, bool)> = Vec::new();
    for row in rows {
        for (key, value) in row.iter() {
            let number = value.is_number();
            match columns.iter_mut().find(|(k, _)| k == key) {
                Some(c) => c.1 &= number || value.is_null(),
                None => columns.push((key.clone(), number || value.is_null())),
            }
        }
    }
    let text = |v: &JsonValue| match v {
        JsonValue::Null => String::new(),
        JsonValue::String(s) => s.clone(),
        other => other.to_string(),
    };
    let widths: Vec<usize> = columns
        .iter()
        .map(|(key, number)| {
            if *number {
                24
            } else {
                rows.iter()
                    .map(|r| r.get(key).map_or(0, |v| encoding.encode(&text(v)).len()))
                    .max()
                    .unwrap_or(0)
                    .clamp(1, 254)
            }
        })
        .collect();
    let header_len = 32 + 32 * columns.len() + 1;
    let record_len = 1 + widths.iter().sum::<usize>();
    let mut out = vec![0u8; 32];
    out[0] = 0x03;
    out[1..4].copy_from_slice(&[126, 1, 1]); // 2026-01-01: the date is not what readers use
    out[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    out[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
    out[29] = if encoding == DbfEncoding::Gbk {
        0x4d
    } else {
        0
    };
    for ((key, number), width) in columns.iter().zip(&widths) {
        let mut d = [0u8; 32];
        let name = cut(encoding, key, 10);
        d[..name.len()].copy_from_slice(&name);
        d[11] = if *number { b'N' } else { b'C' };
        d[16] = *width as u8;
        d[17] = if *number { 8 } else { 0 };
        out.extend_from_slice(&d);
    }
    out.push(0x0d);
    for row in rows {
        out.push(b' ');
        for ((key, number), &width) in columns.iter().zip(&widths) {
            let value = row.get(key).unwrap_or(&JsonValue::Null);
            let mut field = if *number {
                match value.as_f64() {
                    Some(v) => format!("{v:>width$.8}").into_bytes(),
                    None => Vec::new(),
                }
            } else {
                cut(encoding, &text(value), width)
            };
            field.truncate(width);
            field.resize(width, b' ');
            out.extend_from_slice(&field);
        }
    }
    out.push(0x1a);
    out
}
