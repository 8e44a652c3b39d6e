// Package deploy holds the packaging of the distribution: the container config
// (deploy/container), the local stack (deploy/compose) and the Helm chart (deploy/helm). It has
// no code; its tests check the Dockerfile, the compose file and the chart against the
// repository, and run the distribution's validate command on every collector config they hold
// or render.
package deploy
