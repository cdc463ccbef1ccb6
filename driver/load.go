package driver

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/hashicorp/nomad/nomad/structs"
)

// validateLoadPath checks a task's load setting without touching the
// disk: a path relative to the task directory that stays inside it, or an
// absolute host path under the plugin's allowed_mounts (a shared
// directory of images every node sees).
func validateLoadPath(load string, allowed []string) error {
	if load == "" {
		return nil
	}
	if filepath.IsAbs(load) {
		if !pathAllowed(load, allowed) {
			return fmt.Errorf("load: %q is not under any of allowed_mounts %q; give a path in the task directory such as \"local/image.tar\" (where an artifact block puts it), or a host path the plugin allows", load, allowed)
		}
		return nil
	}
	if !filepath.IsLocal(load) {
		return fmt.Errorf("load: %q leaves the task directory; give a path inside it such as \"local/image.tar\"", load)
	}
	return nil
}

// resolveLoadPath returns the host path of the tarball, following
// symbolic links and refusing any that lead out of the task directory (an
// artifact may hold links).
func resolveLoadPath(load, taskDir string, allowed []string) (string, error) {
	if filepath.IsAbs(load) {
		return load, nil
	}
	p := filepath.Join(taskDir, load)
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("load: %q is not in the task directory; deliver it with an artifact block (destination \"local/\") or fix the path", load)
		}
		return "", fmt.Errorf("load: %q: %w", load, err)
	}
	realDir, err := filepath.EvalSymlinks(taskDir)
	if err != nil {
		return "", fmt.Errorf("load: task directory: %w", err)
	}
	if resolved != realDir && !strings.HasPrefix(resolved, realDir+"/") && !pathAllowed(resolved, allowed) {
		return "", fmt.Errorf("load: %q links to %q, outside the task directory", load, resolved)
	}
	return resolved, nil
}

// saveManifest is one entry of the manifest.json that `docker save` writes.
type saveManifest struct {
	Config   string
	RepoTags []string
}

// tarballTags reads the image names a `docker save` tarball holds, so that
// a tarball of the wrong image is refused before loading it.
func tarballTags(r io.Reader) ([]string, error) {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("it has no manifest.json: make it with `docker save IMAGE -o FILE`")
		}
		if err != nil {
			return nil, fmt.Errorf("it is not a tar archive (%v): make it with `docker save IMAGE -o FILE`", err)
		}
		if strings.TrimPrefix(hdr.Name, "./") != "manifest.json" {
			continue
		}
		var manifests []saveManifest
		if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&manifests); err != nil {
			return nil, fmt.Errorf("its manifest.json is unreadable: %w", err)
		}
		var tags []string
		for _, m := range manifests {
			for _, t := range m.RepoTags {
				if ref, err := parseImageRef(t); err == nil {
					tags = append(tags, ref)
				}
			}
		}
		return tags, nil
	}
}

// checkTarball makes sure the tarball at path holds ref.
func checkTarball(path, ref, load string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load: %q: %w", load, err)
	}
	defer f.Close()
	tags, err := tarballTags(f)
	if err != nil {
		return fmt.Errorf("load: %q is not an image tarball: %w", load, err)
	}
	for _, t := range tags {
		if t == ref {
			return nil
		}
	}
	return fmt.Errorf("load: %q does not hold image %q; it holds %q (set image to one of them, or save the image under that name)", load, ref, tags)
}

// runLoad loads the image from req.load into the daemon.
func (c *imageCoordinator) runLoad(ctx context.Context, req pullRequest, p *pull) error {
	if err := checkTarball(req.load, req.ref, filepath.Base(req.load)); err != nil {
		return structs.NewRecoverableError(err, false)
	}
	start := time.Now()
	c.notify(p, fmt.Sprintf("Loading image %s from %s", req.ref, filepath.Base(req.load)))
	if err := c.doLoad(ctx, req.load); err != nil {
		err = fmt.Errorf("load image %q from %s: %w", req.ref, filepath.Base(req.load), err)
		c.logger.Warn("image load failed", "image", req.ref, "file", req.load, "error", err)
		return structs.NewRecoverableError(err, false)
	}
	c.logger.Info("loaded image", "image", req.ref, "file", req.load, "duration", time.Since(start))
	c.notify(p, fmt.Sprintf("Loaded image %s in %s", req.ref, time.Since(start).Round(time.Millisecond)))
	return nil
}

func (c *imageCoordinator) doLoad(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	resp, err := c.api.ImageLoad(ctx, f, client.ImageLoadWithQuiet(true))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read load output: %w", err)
		}
		if msg.Error != nil {
			return errors.New(msg.Error.Message)
		}
	}
}
