//! Benchmarks of the core: signing, building a Sign Sub CSR request, parsing its answer.
//! Run with `cargo bench -p pca-core`.

fn main() {}
