//! Just enough of Word's .docx format for Drive's import-to-Google-Docs conversion
//! (https://developers.google.com/workspace/drive/api/guides/manage-uploads, "Import to Google
//! Docs types"): a .docx is a ZIP package whose `word/document.xml` holds the body as `<w:p>`
//! paragraphs of `<w:t>` runs (ECMA-376 Part 1, WordprocessingML). Reading keeps the text of each
//! paragraph, tables' paragraphs included (their grid is not modelled); `build` writes a minimal
//! valid package for tests.

use std::io::{Read, Write};

/// The paragraphs of a .docx's body, each ending in a newline; `None` if it is not a .docx.
pub fn paragraphs(package: &[u8]) -> Option<String> {
    let xml = String::from_utf8(entry(package, "word/document.xml")?).ok()?;
    let mut text = String::new();
    for paragraph in xml.split("</w:p>") {
        let Some(start) = paragraph
            .rfind("<w:p>")
            .or_else(|| paragraph.rfind("<w:p "))
        else {
            continue;
        };
        let mut rest = &paragraph[start..];
        let mut line = String::new();
        while let Some(open) = rest.find("<w:t") {
            let after = &rest[open + 4..];
            // `<w:t>` or `<w:t xml:space="preserve">`, not `<w:tbl>`/`<w:tc>`.
            if !(after.starts_with('>') || after.starts_with(' ')) {
                rest = after;
                continue;
            }
            let Some(gt) = after.find('>') else { break };
            let body = &after[gt + 1..];
            let Some(close) = body.find("</w:t>") else {
                break;
            };
            line.push_str(&unescape(&body[..close]));
            rest = &body[close..];
        }
        text.push_str(&line);
        text.push('\n');
    }
    Some(text)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// One file of a ZIP package, found through its central directory (stored or deflated).
fn entry(zip: &[u8], wanted: &str) -> Option<Vec<u8>> {
    let eocd = (0..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))?;
    let count = u16_at(zip, eocd + 10)?;
    let mut at = u32_at(zip, eocd + 16)?;
    for _ in 0..count {
        if !zip.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let method = u16_at(zip, at + 10)?;
        let size = u32_at(zip, at + 20)?;
        let (name_len, extra_len, comment_len) = (
            u16_at(zip, at + 28)?,
            u16_at(zip, at + 30)?,
            u16_at(zip, at + 32)?,
        );
        let local = u32_at(zip, at + 42)?;
        let name = zip.get(at + 46..at + 46 + name_len)?;
        at += 46 + name_len + extra_len + comment_len;
        if name != wanted.as_bytes() {
            continue;
        }
        let data_at = local + 30 + u16_at(zip, local + 26)? + u16_at(zip, local + 28)?;
        let data = zip.get(data_at..data_at + size)?;
        return match method {
            0 => Some(data.to_vec()),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .take(64 << 20)
                    .read_to_end(&mut out)
                    .ok()?;
                Some(out)
            }
            _ => None,
        };
    }
    None
}

/// A minimal .docx whose body is `paragraphs` (for tests): the content types, the package
/// relationship and `word/document.xml`, deflated.
pub fn build(paragraphs: &[&str]) -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                escape(p)
            )
        })
        .collect();
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>".to_string()),
        ("word/document.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>")),
    ];
    let mut zip = Vec::new();
    let mut central = Vec::new();
    for (name, content) in &files {
        let mut deflated =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflated
            .write_all(content.as_bytes())
            .expect("deflate to memory");
        let data = deflated.finish().expect("deflate to memory");
        let mut crc = flate2::Crc::new();
        crc.update(content.as_bytes());
        let offset = zip.len() as u32;
        let fields = |sig: &[u8], out: &mut Vec<u8>, central: bool| {
            out.extend_from_slice(sig);
            if central {
                out.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            out.extend_from_slice(&20u16.to_le_bytes()); // needed to extract
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&8u16.to_le_bytes()); // deflate
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(content.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                out.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
                out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                out.extend_from_slice(&offset.to_le_bytes());
            }
            out.extend_from_slice(name.as_bytes());
        };
        fields(b"PK\x03\x04", &mut zip, false);
        zip.extend_from_slice(&data);
        fields(b"PK\x01\x02", &mut central, true);
    }
    let (cd_offset, cd_size) = (zip.len() as u32, central.len() as u32);
    zip.extend_from_slice(&central);
    zip.extend_from_slice(b"PK\x05\x06");
    zip.extend_from_slice(&[0; 4]); // disk numbers
    zip.extend_from_slice(&(files.len() as u16).to_le_bytes());
    zip.extend_from_slice(&(files.len() as u16).to_le_bytes());
    zip.extend_from_slice(&cd_size.to_le_bytes());
    zip.extend_from_slice(&cd_offset.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}
