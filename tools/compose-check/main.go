// compose-check loads a Compose file with the Compose specification's own loader
// (github.com/compose-spec/compose-go/v2, the loader `docker compose` uses), with schema
// validation, interpolation, path resolution and the consistency checks on, and then
// checks that the host side of every bind mount exists. Any problem is printed on stderr
// and the exit code is 1; a usage error exits 2.
//
//	compose-check [docker-compose.yml]
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [docker-compose.yml]")
		os.Exit(2)
	}
	file := "docker-compose.yml"
	if len(os.Args) == 2 {
		file = os.Args[1]
	}
	summary, err := check(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %s: %v\n", file, err)
		os.Exit(1)
	}
	fmt.Println(summary)
}

// check loads the file as `docker compose config` would and returns a one-line summary.
func check(file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	options, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		return "", err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return "", err
	}
	if len(project.Services) == 0 {
		return "", fmt.Errorf("no services")
	}
	names := project.ServiceNames()
	sort.Strings(names)
	var mounts []string
	for _, name := range names {
		service := project.Services[name]
		for _, volume := range service.Volumes {
			if volume.Type != types.VolumeTypeBind {
				continue
			}
			// A bind mount of a missing host path would make Docker create an empty
			// directory in its place: the container would start without its file.
			if _, err := os.Stat(volume.Source); err != nil {
				return "", fmt.Errorf("service %q mounts %s, which does not exist", name, volume.Source)
			}
			rel, err := filepath.Rel(project.WorkingDir, volume.Source)
			if err != nil {
				rel = volume.Source
			}
			mounts = append(mounts, fmt.Sprintf("%s:%s", rel, volume.Target))
		}
	}
	return fmt.Sprintf("compose-check: %s is valid: services %s; bind mounts present: %s",
		filepath.Base(abs), strings.Join(names, ", "), strings.Join(mounts, ", ")), nil
}
