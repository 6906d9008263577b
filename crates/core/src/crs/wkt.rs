//! A coordinate system from its WKT (a Shapefile's `.prj`, a GeoPackage's spatial reference
//! table), WKT 1 in its OGC and Esri dialects or WKT 2: by its EPSG code when it names one,
//! else by its projection and parameters.

use super::{Crs, CrsError, Ellipsoid, TransverseMercator};

/// One `KEYWORD[...]` of a WKT text.
#[derive(Debug, Default)]
struct Node {
    keyword: String,
    texts: Vec<String>,
    numbers: Vec<f64>,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| keywords.iter().any(|k| c.keyword.eq_ignore_ascii_case(k)))
    }

    /// The first node below (or at) this one with one of `keywords`, depth first.
    fn find(&self, keywords: &[&str]) -> Option<&Node> {
        if keywords
            .iter()
            .any(|k| self.keyword.eq_ignore_ascii_case(k))
        {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(keywords))
    }

    fn name(&self) -> &str {
        self.texts.first().map_or("", String::as_str)
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.at += 1;
        }
    }

    fn node(&mut self, depth: usize) -> Result<Node, String> {
        if depth > 32 {
            return Err("nested too deep".into());
        }
        self.skip_space();
        let start = self.at;
        while self
            .text
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.at += 1;
        }
        let keyword = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
        if keyword.is_empty() {
            return Err(format!("a keyword expected at byte {}", self.at));
        }
        self.skip_space();
        let mut node = Node {
            keyword,
            ..Node::default()
        };
        let close = match self.text.get(self.at) {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => return Ok(node),
        };
        self.at += 1;
        loop {
            self.skip_space();
            match self.text.get(self.at) {
                None => return Err("unclosed bracket".into()),
                Some(c) if *c == close => {
                    self.at += 1;
                    return Ok(node);
                }
                Some(b',') => self.at += 1,
                Some(b'"') => {
                    self.at += 1;
                    let start = self.at;
                    // A doubled quote is a quote inside the text (WKT 2).
                    while self.at < self.text.len()
                        && (self.text[self.at] != b'"' || self.text.get(self.at + 1) == Some(&b'"'))
                    {
                        self.at += if self.text[self.at] == b'"' { 2 } else { 1 };
                    }
                    node.texts.push(
                        String::from_utf8_lossy(&self.text[start..self.at]).replace("\"\"", "\""),
                    );
                    self.at += 1;
                }
                Some(c) if c.is_ascii_digit() || *c == b'-' || *c == b'+' || *c == b'.' => {
                    let start = self.at;
                    while self.text.get(self.at).is_some_and(|c| {
                        c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')
                    }) {
                        self.at += 1;
                    }
                    let s = String::from_utf8_lossy(&self.text[start..self.at]);
                    node.numbers
                        .push(s.parse().map_err(|_| format!("bad number {s:?}"))?);
                }
                Some(_) => node.children.push(self.node(depth + 1)?),
            }
        }
    }
}

/// The EPSG code a node names (`AUTHORITY["EPSG","4547"]` or `ID["EPSG",4547]`), when it does.
fn epsg_of(node: &Node) -> Option<u32> {
    let id = node.child(&["AUTHORITY", "ID"])?;
    if !id.name().eq_ignore_ascii_case("EPSG") {
        return None;
    }
    id.texts
        .get(1)
        .and_then(|s| s.parse().ok())
        .or_else(|| id.numbers.first().map(|&n| n as u32))
}

/// Reads a WKT coordinate system.
pub(super) fn parse(text: &str) -> Result<Crs, CrsError> {
    let bad = |reason: String| CrsError::Wkt {
        reason,
        wkt: text.chars().take(120).collect(),
    };
    let root = Parser {
        text: text.trim().as_bytes(),
        at: 0,
    }
    .node(0)
    .map_err(bad)?;
    if let Some(crs) = epsg_of(&root).and_then(|code| Crs::from_epsg(code).ok()) {
        return Ok(crs);
    }
    let keyword = root.keyword.to_ascii_uppercase();
    let name = root.name().to_string();
    match keyword.as_str() {
        "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS" => {
            if name.contains("2000") || name.contains("CGCS") || name.contains("China") {
                Ok(Crs::Cgcs2000)
            } else {
                Ok(Crs::Wgs84)
            }
        }
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => {
            let method = root
                .find(&["PROJECTION", "METHOD"])
                .map(|n| n.name().to_ascii_lowercase().replace([' ', '-'], "_"))
                .unwrap_or_default();
            let lower = name.to_ascii_lowercase();
            if method.contains("pseudo_mercator")
                || method.contains("mercator_auxiliary_sphere")
                || lower.contains("pseudo_mercator")
                || lower.contains("pseudo-mercator")
            {
                return Ok(Crs::WebMercator);
            }
            if !(method.contains("transverse_mercator") || method.contains("gauss_kruger")) {
                return Err(bad(format!("the projection {method:?} is not supported (transverse Mercator / Gauss-Krüger, UTM and Web Mercator are)")));
            }
            let param = |names: &[&str], default: f64| {
                root.children
                    .iter()
                    .chain(
                        root.find(&["CONVERSION"])
                            .map_or(&[][..], |c| &c.children[..]),
                    )
                    .filter(|c| c.keyword.eq_ignore_ascii_case("PARAMETER"))
                    .find(|c| {
                        let n = c.name().to_ascii_lowercase().replace(' ', "_");
                        names.contains(&n.as_str())
                    })
                    .and_then(|c| c.numbers.first().copied())
                    .unwrap_or(default)
            };
            let ellipsoid = root
                .find(&["SPHEROID", "ELLIPSOID"])
                .and_then(|s| match s.numbers[..] {
                    [a_m, inverse_flattening, ..] => Some(Ellipsoid {
                        a_m,
                        inverse_flattening,
                    }),
                    _ => None,
                })
                .ok_or_else(|| bad("no SPHEROID".into()))?;
            let unit = root
                .child(&["UNIT", "LENGTHUNIT"])
                .and_then(|u| u.numbers.first().copied())
                .unwrap_or(1.0);
            if (unit - 1.0).abs() > 1e-12 {
                return Err(bad(format!(
                    "a length unit of {unit} m is not supported (metres are)"
                )));
            }
            Ok(Crs::TransverseMercator {
                projection: TransverseMercator {
                    ellipsoid,
                    lon0_deg: param(&["central_meridian", "longitude_of_natural_origin"], 0.0),
                    lat0_deg: param(&["latitude_of_origin", "latitude_of_natural_origin"], 0.0),
                    k0: param(&["scale_factor", "scale_factor_at_natural_origin"], 1.0),
                    false_easting_m: param(&["false_easting"], 0.0),
                    false_northing_m: param(&["false_northing"], 0.0),
                },
                epsg: None,
                name,
            }
            .identified())
        }
        other => Err(bad(format!(
            "{other} is not a coordinate system patrolmap reads"
        ))),
    }
}
