# Build a static binary, then ship it alone (plus CA certificates) in an
# empty image. Default command: stdio, as MCP clients run it.
#
#   docker build -t insforge-mcp .
#
# --version reports the VERSION build argument, by default what
# git describe says of the build context's .git: the tag (v1.2.0), or
# the tag, commits since and commit (v1.2.0-3-g78f972b), or the commit
# alone (78f972b), with -dirty for uncommitted changes. Where the context
# has no usable .git (a source tarball; a git worktree, whose .git is a
# link outside the context), name it yourself:
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t insforge-mcp .
# (with neither, the binary reports "devel").
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN v="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null)}"; CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$v" -o /out/insforge-mcp ./cmd/insforge-mcp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/insforge-mcp /insforge-mcp
USER 65532:65532
# Saved credentials are off in the container: pass INSFORGE_PROJECT_URL and
# INSFORGE_API_KEY, or let the agent call connect-project.
ENV INSFORGE_CREDENTIALS_FILE=none
# The HTTP transports listen on every interface of the container, so that
# -p 8080:8080 reaches them (the binary's own default is loopback). With a
# configured key the server then insists on an auth token.
ENV INSFORGE_LISTEN=0.0.0.0:8080
EXPOSE 8080
# No curl in an empty image: the binary asks its own /healthz, at
# INSFORGE_LISTEN (healthy over stdio, where nothing listens).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s CMD ["/insforge-mcp", "--healthcheck"]
ENTRYPOINT ["/insforge-mcp"]
