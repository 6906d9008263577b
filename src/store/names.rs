//! Names people give scenarios and users: kept in Unicode's composed form (NFC), so the same
//! name typed on two keyboards is one name, and refused when they could mislead a reader of
//! the audit log or a file listing: empty, `.` or `..`, only spaces, or carrying control,
//! zero-width or bidirectional-override characters.

use unicode_normalization::UnicodeNormalization;

/// Characters that change how text around them is shown without showing themselves:
/// zero-width spaces and joiners, direction marks, embeddings, overrides and isolates, the
/// word joiner and invisible operators, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// `name` in NFC, as a lookup compares it.
pub fn normalized(name: &str) -> String {
    name.nfc().collect()
}

/// `name` checked and in NFC: `what` (`scenario`, `user`) names it in the error, which says
/// what a name may be; `max_chars` long at most; `forbidden` characters refused besides the
/// invisible and control ones.
///
/// ```
/// use patrolmap::store::names::checked;
/// assert_eq!(checked("scenario", "Cafe\u{301} 1", 100, &['/']).unwrap(), "Café 1");
/// assert!(checked("scenario", "..", 100, &['/']).is_err());
/// assert!(checked("scenario", "   ", 100, &['/']).is_err());
/// assert!(checked("user", "li\u{202E}gnaw", 64, &[]).is_err());
/// assert!(checked("user", "li\u{200B}", 64, &[]).is_err());
/// ```
pub fn checked(
    what: &str,
    name: &str,
    max_chars: usize,
    forbidden: &[char],
) -> Result<String, String> {
    let name = normalized(name);
    let shown: String = name.chars().flat_map(char::escape_debug).collect();
    let refuse = |why: &str| {
        Err(format!(
            "{what} name \"{shown}\": {why} (1 to {max_chars} visible characters{})",
            if forbidden.is_empty() {
                String::new()
            } else {
                format!(
                    ", none of {}",
                    forbidden
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        ))
    };
    if name.trim().is_empty() {
        return refuse("empty or only spaces");
    }
    if name == "." || name == ".." {
        return refuse("not a name");
    }
    if name.chars().count() > max_chars {
        return refuse("too long");
    }
    if let Some(c) = name.chars().find(|&c| c.is_control() || invisible(c)) {
        return refuse(&format!(
            "it holds the invisible character U+{:04X}",
            c as u32
        ));
    }
    if let Some(c) = name.chars().find(|c| forbidden.contains(c)) {
        return refuse(&format!("it holds {c:?}"));
    }
    Ok(name)
}
