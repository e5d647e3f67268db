# Build a static binary, then ship it alone (plus CA certificates) in an
# empty image. Default command: stdio, as MCP clients run it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/insforge-mcp ./cmd/insforge-mcp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/insforge-mcp /insforge-mcp
USER 65532:65532
# Saved credentials are off in the container: pass INSFORGE_PROJECT_URL and
# INSFORGE_API_KEY, or let the agent call connect-project.
ENV INSFORGE_CREDENTIALS_FILE=none
ENTRYPOINT ["/insforge-mcp"]
