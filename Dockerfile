# The injit binary in a minimal image for deploy/ (no image is published):
#   docker build -t REGISTRY/injit:0.1.0 . && docker push REGISTRY/injit:0.1.0
# then name it in deploy/base/kustomization.yaml (`images:`).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked --bin injit

# Distroless: glibc and libgcc for the binary, tzdata for sprig's date
# functions (Go reads the same files), no shell, no package manager; runs
# as the non-root user 65532, as the Deployment asks.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/dist/injit /usr/local/bin/injit
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/injit"]
