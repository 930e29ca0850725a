# Pins of the backends component. The Go tools are built from the wrapper modules beside this file (go.mod + go.sum,
# one `tool` line each), so each whole dependency graph is pinned and checked against the committed go.sum.
RESTIC_VERSION=0.18.1                                   # github.com/restic/restic (module ./restic)
REST_SERVER_VERSION=0.14.0                              # github.com/restic/rest-server (module ./rest-server)
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c        # github.com/minio/minio (module ./minio; AGPL, test-only)
PUSHGATEWAY_DEB=prometheus-pushgateway                  # Debian bookworm: 1.5.1-2+b5
