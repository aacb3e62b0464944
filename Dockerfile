# The injit binary in a small image, for deploy/injit.yaml:
#   docker build -t injit:0.1.0 .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked --bin injit

FROM debian:bookworm-slim
# Zone data for sprig's date functions (Go reads the same files).
RUN apt-get update && apt-get install -y --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/dist/injit /usr/local/bin/injit
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/injit"]
