//! One admission, as the server runs it: the review parsed, the sidecar
//! injected, the patch computed and the answer serialised.

use criterion::{Criterion, criterion_group, criterion_main};
use injit_inject::Sources;
use injit_webhook::{OnError, Request, admit};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REVIEW: &str = include_str!("sleep-review.json");

fn bench(c: &mut Criterion) {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    c.bench_function("admit/sleep", |b| {
        b.iter(|| {
            let request = Request::parse(REVIEW.as_bytes()).expect("a review");
            let (response, _) = admit(&injector, &request, "/inject", OnError::Deny);
            serde_json::to_vec(&response.to_review(&request.api_version, &request.uid)).expect("JSON")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
