//! Compiles `proto/` with protox (pure Rust: no `protoc` on the machine) into prost types and
//! tonic stubs, and writes the encoded descriptor set for reflection and the gateway's transcoder.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files = Vec::new();
    collect_protos(&proto_root.join("nsk"), &mut files)?;
    files.sort();

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;

    // The encoded set keeps custom options such as google.api.http, which the gateway reads.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("nsk_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Methods whose issue has not landed answer UNIMPLEMENTED instead of failing to compile.
        .generate_default_stubs(true)
        .compile_fds_with_config(compiler.file_descriptor_set(), {
            // `prost::Name` gives every message its full name: the event type in envelopes.
            let mut config = prost_build::Config::new();
            config.enable_type_names();
            config
        })?;

    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    Ok(())
}

fn collect_protos(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
