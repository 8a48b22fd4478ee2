//! A Google Doc's structure as the sandbox keeps it: tabs, each with a body, headers and footers;
//! a body is paragraphs and tables whose cells hold paragraphs (and tables). Rendered in the Docs
//! API's shapes (https://developers.google.com/workspace/docs/api/reference/rest/v1/documents:
//! `Document.body`, `headers`, `footers`, `tabs[].documentTab`; structural elements with
//! `paragraph` or `table.tableRows[].tableCells[].content`), and searched by replaceAllText in
//! every segment of every tab (https://developers.google.com/workspace/docs/api/how-tos/tabs:
//! "If tabsCriteria is omitted, replaceAllText applies to all tabs").
//!
//! A document that is only one tab of paragraphs is stored as its plain text (what the Drive
//! file's bytes hold); anything richer is stored as this structure's JSON.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocModel {
    pub tabs: Vec<TabModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TabModel {
    pub id: String,
    pub title: String,
    pub body: Vec<Block>,
    #[serde(default)]
    pub headers: Vec<Segment>,
    #[serde(default)]
    pub footers: Vec<Segment>,
}

/// A header or footer: its id and content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    pub content: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// One paragraph's text, ending in a newline.
    Paragraph(String),
    /// Rows of cells; each cell holds blocks.
    Table(Vec<Vec<Vec<Block>>>),
}

const MARK: &str = "{\"tabs\":";

impl DocModel {
    /// One tab whose body is `text`'s lines.
    pub fn plain(text: &str) -> DocModel {
        let mut text = text.replace("\r\n", "\n");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        DocModel {
            tabs: vec![TabModel {
                id: "t.0".into(),
                title: "Tab 1".into(),
                body: text
                    .split_inclusive('\n')
                    .map(|l| Block::Paragraph(l.to_string()))
                    .collect(),
                headers: Vec::new(),
                footers: Vec::new(),
            }],
        }
    }

    /// The document a Drive file's bytes hold.
    pub fn of(content: &[u8]) -> DocModel {
        if content.starts_with(MARK.as_bytes()) {
            if let Ok(model) = serde_json::from_slice(content) {
                return model;
            }
        }
        DocModel::plain(&String::from_utf8_lossy(content))
    }

    /// The plain body text, if the document is only that.
    pub fn as_plain(&self) -> Option<String> {
        let [tab] = self.tabs.as_slice() else {
            return None;
        };
        if !tab.headers.is_empty() || !tab.footers.is_empty() {
            return None;
        }
        tab.body
            .iter()
            .map(|b| match b {
                Block::Paragraph(p) => Some(p.as_str()),
                Block::Table(_) => None,
            })
            .collect()
    }

    /// The bytes a Drive file keeps for it.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.as_plain() {
            Some(text) => text.into_bytes(),
            None => serde_json::to_vec(self).expect("a document model serialises"),
        }
    }

    /// Every piece of text in every segment of every tab, in document order.
    pub fn all_text(&self) -> String {
        let mut out = String::new();
        for tab in &self.tabs {
            for segment in tab.headers.iter().chain(&tab.footers) {
                collect(&segment.content, &mut out);
            }
            collect(&tab.body, &mut out);
        }
        out
    }

    /// replaceAllText in every tab, body, table cell, header and footer; the count of changes.
    pub fn replace_all(&mut self, replace: &mut impl FnMut(&str) -> (String, usize)) -> usize {
        let mut n = 0;
        for tab in &mut self.tabs {
            n += replace_in(&mut tab.body, replace);
            for segment in tab.headers.iter_mut().chain(tab.footers.iter_mut()) {
                n += replace_in(&mut segment.content, replace);
            }
        }
        n
    }

    /// The Docs API's document: the first tab's content in `body`/`headers`/`footers`, or, with
    /// `include_tabs`, every tab in `tabs` and none at the top level.
    pub fn render(&self, id: &str, title: &str, revision: &str, include_tabs: bool) -> Value {
        let mut out = json!({
            "documentId": id,
            "title": title,
            "revisionId": revision,
            "suggestionsViewMode": "SUGGESTIONS_INLINE",
        });
        if include_tabs {
            let tabs: Vec<Value> = self
                .tabs
                .iter()
                .enumerate()
                .map(|(i, tab)| {
                    json!({
                        "tabProperties": { "tabId": tab.id, "title": tab.title, "index": i },
                        "documentTab": tab_json(tab),
                    })
                })
                .collect();
            out["tabs"] = json!(tabs);
        } else if let Some(first) = self.tabs.first() {
            if let Value::Object(parts) = tab_json(first) {
                for (k, v) in parts {
                    out[k] = v;
                }
            }
        }
        out
    }
}

fn collect(blocks: &[Block], out: &mut String) {
    for block in blocks {
        match block {
            Block::Paragraph(p) => out.push_str(p),
            Block::Table(rows) => {
                for cell in rows.iter().flatten() {
                    collect(cell, out);
                }
            }
        }
    }
}

fn replace_in(blocks: &mut [Block], replace: &mut impl FnMut(&str) -> (String, usize)) -> usize {
    let mut n = 0;
    for block in blocks {
        match block {
            Block::Paragraph(p) => {
                let (new, k) = replace(p);
                *p = new;
                n += k;
            }
            Block::Table(rows) => {
                for cell in rows.iter_mut().flatten() {
                    n += replace_in(cell, replace);
                }
            }
        }
    }
    n
}

fn tab_json(tab: &TabModel) -> Value {
    let mut body = vec![json!({ "endIndex": 1, "sectionBreak": { "sectionStyle": {
        "columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT", "sectionType": "CONTINUOUS" } } })];
    let mut at = 1;
    elements(&tab.body, &mut at, &mut body);
    let segments = |list: &[Segment], key: &str| -> Value {
        let mut map = Map::new();
        for s in list {
            let mut content = Vec::new();
            // Headers and footers count their own indices from 0.
            elements(&s.content, &mut 0, &mut content);
            map.insert(s.id.clone(), json!({ key: s.id, "content": content }));
        }
        Value::Object(map)
    };
    let mut out = json!({ "body": { "content": body } });
    if !tab.headers.is_empty() {
        out["headers"] = segments(&tab.headers, "headerId");
    }
    if !tab.footers.is_empty() {
        out["footers"] = segments(&tab.footers, "footerId");
    }
    out
}

/// Structural elements with UTF-16 indices, as Docs counts them (a table, each row and each cell
/// take one index before their content).
fn elements(blocks: &[Block], at: &mut usize, out: &mut Vec<Value>) {
    for block in blocks {
        let start = *at;
        match block {
            Block::Paragraph(text) => {
                *at += text.encode_utf16().count();
                out.push(json!({
                    "startIndex": start,
                    "endIndex": *at,
                    "paragraph": {
                        "elements": [{ "startIndex": start, "endIndex": *at, "textRun": { "content": text, "textStyle": {} } }],
                        "paragraphStyle": { "namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT" },
                    },
                }));
            }
            Block::Table(rows) => {
                *at += 1;
                let mut table_rows = Vec::new();
                for row in rows {
                    let row_start = *at;
                    *at += 1;
                    let mut cells = Vec::new();
                    for cell in row {
                        let cell_start = *at;
                        *at += 1;
                        let mut content = Vec::new();
                        elements(cell, at, &mut content);
                        cells.push(json!({ "startIndex": cell_start, "endIndex": *at, "content": content }));
                    }
                    table_rows.push(
                        json!({ "startIndex": row_start, "endIndex": *at, "tableCells": cells }),
                    );
                }
                *at += 1;
                out.push(json!({
                    "startIndex": start,
                    "endIndex": *at,
                    "table": {
                        "rows": rows.len(),
                        "columns": rows.first().map_or(0, Vec::len),
                        "tableRows": table_rows,
                    },
                }));
            }
        }
    }
}
