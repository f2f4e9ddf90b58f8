//! The import of a whole "particuliers" release: about 5,000 vosdroits fiches, generated from the
//! committed fixtures (each fixture copied under new ids), read from a folder, parsed, drafted and
//! written into a commune folder with a pack naming every one of them.
//!
//! `cargo bench -p guichet-opendata`

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use guichet_opendata::{StarterPack, import_service_public, init_folder, read_fiches};

const FICHES: usize = 5_000;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Writes `FICHES` fiches (ids F900000…) into `dir`; returns the pack naming them all.
fn release(dir: &Path) -> StarterPack {
    let mut seeds = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("vosdroits")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        seeds.push((stem, std::fs::read_to_string(&path).unwrap()));
    }
    seeds.sort();
    let mut pack = String::new();
    for n in 0..FICHES {
        let (stem, xml) = &seeds[n % seeds.len()];
        let id = format!("F{}", 900_000 + n);
        let xml = xml
            .replacen(&format!("ID=\"{stem}\""), &format!("ID=\"{id}\""), 1)
            .replace(&format!("vosdroits/{stem}\""), &format!("vosdroits/{id}\""));
        std::fs::write(dir.join(format!("{id}.xml")), xml).unwrap();
        let _ = writeln!(pack, "[[fiche]]\nid = \"f{n}\"\nsource = \"{id}\"\n");
    }
    StarterPack::parse(&pack).unwrap()
}

fn bench(c: &mut Criterion) {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("vosdroits");
    std::fs::create_dir(&source).unwrap();
    let pack = release(&source);
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.bench_function("read 5000 fiches", |b| {
        b.iter(|| read_fiches(&source, None).unwrap().len())
    });
    group.bench_function("init + import 5000 fiches", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().unwrap(),
            |root| {
                let out = root.path().join("commune");
                init_folder(&fixtures().join("annuaire-extrait.json"), "78490", &out).unwrap();
                let report = import_service_public(&source, &out, &pack).unwrap();
                assert_eq!(report.written.len(), FICHES);
                root
            },
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
