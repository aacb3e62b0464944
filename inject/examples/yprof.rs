fn main() {
    let text = std::fs::read_to_string("/tmp/rendered.yaml").unwrap();
    let n = 5000;
    let t = std::time::Instant::now();
    for _ in 0..n { let _ = injit_inject::object::yaml_documents(&text).unwrap(); }
    println!("yaml_documents {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n { let _ = injit_inject::yaml::documents(&text, injit_runtime::NumberMode::JsonNumber).unwrap(); }
    println!("documents (Data) {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n { let _ = injit_inject::yaml::block_document(&text, injit_runtime::NumberMode::JsonNumber).unwrap(); }
    println!("block {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n { let _ = injit_inject::yaml::full_documents(&text, injit_runtime::NumberMode::JsonNumber).unwrap(); }
    println!("full {:?}", t.elapsed() / n);
    let t = std::time::Instant::now();
    for _ in 0..n {
        let mut p = saphyr_parser::Parser::new_from_str(&text);
        while let Some(Ok((ev, _))) = p.next() { if matches!(ev, saphyr_parser::Event::StreamEnd) { break; } }
    }
    println!("saphyr events only {:?}", t.elapsed() / n);
}
#[allow(dead_code)]
fn x() {}
