package registrytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/client"
)

// Media types of a Docker image manifest, schema 2.
const (
	mediaTypeManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeConfig   = "application/vnd.docker.container.image.v1+json"
	mediaTypeLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// Add exports localRef from the daemon and serves it as repo:tag. It returns
// the reference to pull: "<addr>/<repo>:<tag>".
func (s *Server) Add(ctx context.Context, cli *client.Client, localRef, repo, tag string) (string, error) {
	rc, err := cli.ImageSave(ctx, []string{localRef})
	if err != nil {
		return "", fmt.Errorf("export image %s: %w", localRef, err)
	}
	defer rc.Close()
	files, err := readTar(rc)
	if err != nil {
		return "", fmt.Errorf("read export of %s: %w", localRef, err)
	}
	manifest, blobs, err := toRegistry(files)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", localRef, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifests[repo+":"+tag] = manifest
	for d, b := range blobs {
		s.blobs[d] = b
	}
	return s.addr + "/" + repo + ":" + tag, nil
}

// saveManifest is the part of `docker save`'s manifest.json used here.
type saveManifest struct {
	Config string
	Layers []string
}

// toRegistry turns the files of a `docker save` archive into a schema 2
// manifest and the blobs it names (the config and gzipped layers).
func toRegistry(files map[string][]byte) (manifest []byte, blobs map[string][]byte, err error) {
	var saved []saveManifest
	if err := json.Unmarshal(files["manifest.json"], &saved); err != nil {
		return nil, nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(saved) != 1 {
		return nil, nil, fmt.Errorf("export holds %d images, want 1", len(saved))
	}
	config, ok := files[saved[0].Config]
	if !ok {
		return nil, nil, fmt.Errorf("export lacks the config %s", saved[0].Config)
	}

	type descriptor struct {
		MediaType string `json:"mediaType"`
		Size      int    `json:"size"`
		Digest    string `json:"digest"`
	}
	blobs = map[string][]byte{digestOf(config): config}
	m := struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}{
		SchemaVersion: 2,
		MediaType:     mediaTypeManifest,
		Config:        descriptor{mediaTypeConfig, len(config), digestOf(config)},
	}
	for _, name := range saved[0].Layers {
		layer, ok := files[name]
		if !ok {
			return nil, nil, fmt.Errorf("export lacks the layer %s", name)
		}
		gz, err := gzipped(layer)
		if err != nil {
			return nil, nil, err
		}
		blobs[digestOf(gz)] = gz
		m.Layers = append(m.Layers, descriptor{mediaTypeLayer, len(gz), digestOf(gz)})
	}
	manifest, err = json.Marshal(m)
	return manifest, blobs, err
}

func readTar(r io.Reader) (map[string][]byte, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[h.Name] = b
	}
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress layer: %w", err)
	}
	return buf.Bytes(), nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
