package driver

import (
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// imageRequest says how a validated task gets its image: from its tarball,
// or pulled with the credentials and limits that apply to it.
func imageRequest(cfg *drivers.TaskConfig, tc *TaskConfig, pc *PluginConfig, docker infoAPI) (pullRequest, error) {
	ref, _ := parseImageRef(tc.Image) // validated by the caller
	req := pullRequest{ref: ref, force: tc.ForcePull}
	req.timeout, _ = parsePositiveDuration("image_pull_timeout", tc.ImagePullTimeout, pc.imagePullTimeout)
	req.inactivity, _ = parsePositiveDuration("image_pull_inactivity_timeout", tc.ImagePullInactivityTimeout, pc.pullInactivity)

	if tc.Load != "" {
		path, err := resolveLoadPath(tc.Load, cfg.TaskDir().Dir, pc.AllowedMounts)
		if err != nil {
			return req, structs.NewRecoverableError(err, false)
		}
		req.load = path
		return req, nil
	}

	auth, err := resolveAuth(ref, tc.Auth, pc.Auth)
	if err != nil {
		// A helper may fail for a moment (a token service down); a
		// broken config file will not mend itself, but retrying costs
		// little and the message says what is wrong either way.
		return req, structs.NewRecoverableError(err, true)
	}
	req.auth = auth
	req.check = registryCheck(docker, insecurePolicy{allowed: pc.InsecureRegistries, lookup: lookupIP}, ref)
	return req, nil
}
