//! The document as PDF (Appendix 2) through real processes: the center that issued it, an
//! official and its holder download it; anyone else does not find it. Its text, extracted by
//! `pdftotext` as a reader's program would, carries the form's words in Kazakh and Russian
//! and the document's own facts; a cancelled one says so; one page is rendered to PNG.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::seed::{public_data, HOLDER_IIN};
use nsk_e2e::walk::{candidate_token, center_token};
use nsk_e2e::Platform;
use nsk_identity::Role;

async fn pdf(platform: &Platform, token: Option<&str>, id: &str) -> (u16, String, Vec<u8>) {
    let mut request = platform
        .http
        .get(platform.url(&format!("/v1/documents/{id}/pdf")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let kind = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, kind, reply.bytes().await.unwrap().to_vec())
}

/// The text a PDF reader extracts.
fn text_of(file: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by make deps)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_document_as_pdf_carries_appendix_2_in_kazakh_and_russian_and_a_cancelled_one_says_so()
{
    let platform = Platform::start("docpdf").await;
    let data = public_data(&platform).await;
    let dir = nsk_runtime::testing::workspace_root().join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();

    let by_center = center_token(&data.center);
    let (status, kind, valid) = pdf(&platform, Some(&by_center), &data.valid_id).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&valid));
    assert_eq!(kind, "application/pdf");
    assert!(
        valid.len() < 150_000,
        "{} bytes: the fonts are subset",
        valid.len()
    );
    let file = dir.join("document-valid.pdf");
    std::fs::write(&file, &valid).unwrap();
    let text = text_of(&file);
    for expected in [
        "КӘСІПТІК БІЛІКТІЛІКТІ ТАНУ ТУРАЛЫ ҚҰЖАТ",
        "ДОКУМЕНТ О ПРИЗНАНИИ ПРОФЕССИОНАЛЬНОЙ КВАЛИФИКАЦИИ",
        data.valid.as_str(),
        "Сейткали Айгерим Нурлановна",
        "Сварщик, ҰБШ деңгейі / уровень НРК 3",
        "Welding Qualification Center LLP",
        "D. Omarov",
        "Қолы / Подпись",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains("АННУЛИРОВАН"), "{text}");
    // One page to PNG, as a printer's preview would show it.
    let png = dir.join("document-valid");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-singlefile"])
        .arg(&file)
        .arg(&png)
        .status()
        .expect("pdftoppm");
    assert!(rendered.success());
    let size = std::fs::metadata(png.with_extension("png")).unwrap().len();
    assert!(size > 5_000, "{size} bytes");

    // The cancelled one, for an official: across the page, with the day and the reason.
    let admin = platform.token(&[Role::AuthorizedBodyAdmin]);
    let (status, _, cancelled) = pdf(&platform, Some(&admin), &data.cancelled_id).await;
    assert_eq!(status, 200);
    let file = dir.join("document-cancelled.pdf");
    std::fs::write(&file, &cancelled).unwrap();
    let text = text_of(&file);
    assert!(text.contains("КҮШІ ЖОЙЫЛДЫ · АННУЛИРОВАН"), "{text}");
    assert!(
        text.contains("the court found the procedure void"),
        "{text}"
    );

    // The holder reads their own; another person, another center, nobody without a token: no.
    let holder = candidate_token(&format!("iin:{HOLDER_IIN}"));
    let (status, _, _) = pdf(&platform, Some(&holder), &data.valid_id).await;
    assert_eq!(status, 200);
    let (status, _, _) = pdf(
        &platform,
        Some(&candidate_token("iin:880515400018")),
        &data.valid_id,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = pdf(&platform, Some(&center_token("0999")), &data.valid_id).await;
    assert_eq!(status, 404);
    let (status, _, _) = pdf(&platform, None, &data.valid_id).await;
    assert_eq!(status, 401);
}
