# Dockerfile - vramfit's image: a build stage running the same `make deps` and `make` as CI
# (.ci/run), and a runtime stage holding only the two binaries (the server and its vramfit-fetch
# helper, which must sit beside it) and the shared libraries they link.
#   docker build -t vramfit:0.1.0 .
#   docker run --rm -p 8080:8080 vramfit:0.1.0

FROM debian:bookworm-slim AS build
# make and bash run tools/deps.sh; deps.sh installs everything else the build needs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deps \
 && make

FROM debian:bookworm-slim AS runtime
# The shared libraries build/vramfit and build/vramfit-fetch link (readelf -d: NEEDED; libcurl is
# the helper's), plus CA certificates for the catalog and price refresh over HTTPS. zlib1g and libc6 are already in the base image.
# Versions are left to bookworm's security updates on purpose: a pinned runtime library stops
# building as soon as Debian ships its fix.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 \
      libjansson4 \
      libcurl4 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/vramfit /src/build/vramfit-fetch /usr/local/bin/
# A numeric non-root user: Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/vramfit"]
CMD ["--port", "8080"]
