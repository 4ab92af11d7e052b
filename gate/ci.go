package gate

import "strings"

// ciOp is how one condition of a CI vendor's rule tests the environment.
// The forms mirror the "env" rules of the ci-info project's vendors.json.
type ciOp uint8

const (
	// ciSet: the variable is set and not empty ("env": "NAME").
	ciSet ciOp = iota
	// ciEquals: the variable equals value exactly ("env": {"NAME": "value"}).
	ciEquals
	// ciContains: the variable contains value ("env": {"env": "NAME", "includes": "value"}).
	ciContains
	// ciAny: at least one of anyOf is set and not empty ("env": {"any": [...]}).
	ciAny
)

// ciCond is one condition of a vendor's rule.
type ciCond struct {
	op    ciOp
	env   string   // the variable, for ciSet, ciEquals and ciContains
	value string   // for ciEquals and ciContains
	anyOf []string // for ciAny
}

// ciVendor is a CI service and the conditions that all must hold for a
// process to be running on it (a list in vendors.json means "every one").
type ciVendor struct {
	name  string
	conds []ciCond
}

// ciVendors is transcribed from vendors.json of ci-info v4.4.0
// (github.com/watson/ci-info, 53 vendors), in the same order, so that an
// update is a plain diff and the last match wins as it does there. It is
// static data: the compiler lays it out, nothing runs at start-up.
var ciVendors = []ciVendor{
	{name: "Agola CI", conds: []ciCond{{env: "AGOLA_GIT_REF"}}},
	{name: "Alpic", conds: []ciCond{{env: "ALPIC_HOST"}}},
	{name: "Appcircle", conds: []ciCond{{env: "AC_APPCIRCLE"}}},
	{name: "AppVeyor", conds: []ciCond{{env: "APPVEYOR"}}},
	{name: "AWS CodeBuild", conds: []ciCond{{env: "CODEBUILD_BUILD_ARN"}}},
	{name: "Azure Pipelines", conds: []ciCond{{env: "TF_BUILD"}}},
	{name: "Bamboo", conds: []ciCond{{env: "bamboo_planKey"}}},
	{name: "Bitbucket Pipelines", conds: []ciCond{{env: "BITBUCKET_COMMIT"}}},
	{name: "Bitrise", conds: []ciCond{{env: "BITRISE_IO"}}},
	{name: "Buddy", conds: []ciCond{{env: "BUDDY_WORKSPACE_ID"}}},
	{name: "Buildkite", conds: []ciCond{{env: "BUILDKITE"}}},
	{name: "CircleCI", conds: []ciCond{{env: "CIRCLECI"}}},
	{name: "Cirrus CI", conds: []ciCond{{env: "CIRRUS_CI"}}},
	{name: "Cloudflare Pages", conds: []ciCond{{env: "CF_PAGES"}}},
	{name: "Cloudflare Workers", conds: []ciCond{{env: "WORKERS_CI"}}},
	{name: "Codefresh", conds: []ciCond{{env: "CF_BUILD_ID"}}},
	{name: "Codemagic", conds: []ciCond{{env: "CM_BUILD_ID"}}},
	{name: "Codeship", conds: []ciCond{{op: ciEquals, env: "CI_NAME", value: "codeship"}}},
	{name: "Drone", conds: []ciCond{{env: "DRONE"}}},
	{name: "dsari", conds: []ciCond{{env: "DSARI"}}},
	{name: "Earthly", conds: []ciCond{{env: "EARTHLY_CI"}}},
	{name: "Expo Application Services", conds: []ciCond{{env: "EAS_BUILD"}}},
	{name: "Gerrit", conds: []ciCond{{env: "GERRIT_PROJECT"}}},
	{name: "Gitea Actions", conds: []ciCond{{env: "GITEA_ACTIONS"}}},
	{name: "GitHub Actions", conds: []ciCond{{env: "GITHUB_ACTIONS"}}},
	{name: "GitLab CI", conds: []ciCond{{env: "GITLAB_CI"}}},
	{name: "GoCD", conds: []ciCond{{env: "GO_PIPELINE_LABEL"}}},
	{name: "Google Cloud Build", conds: []ciCond{{env: "BUILDER_OUTPUT"}}},
	{name: "Harness CI", conds: []ciCond{{env: "HARNESS_BUILD_ID"}}},
	{name: "Heroku", conds: []ciCond{{op: ciContains, env: "NODE", value: "/app/.heroku/node/bin/node"}}},
	{name: "Hudson", conds: []ciCond{{env: "HUDSON_URL"}}},
	{name: "Jenkins", conds: []ciCond{{env: "JENKINS_URL"}, {env: "BUILD_ID"}}},
	{name: "LayerCI", conds: []ciCond{{env: "LAYERCI"}}},
	{name: "Magnum CI", conds: []ciCond{{env: "MAGNUM"}}},
	{name: "Netlify CI", conds: []ciCond{{env: "NETLIFY"}}},
	{name: "Nevercode", conds: []ciCond{{env: "NEVERCODE"}}},
	{name: "Prow", conds: []ciCond{{env: "PROW_JOB_ID"}}},
	{name: "ReleaseHub", conds: []ciCond{{env: "RELEASE_BUILD_ID"}}},
	{name: "Render", conds: []ciCond{{env: "RENDER"}}},
	{name: "Sail CI", conds: []ciCond{{env: "SAILCI"}}},
	{name: "Screwdriver", conds: []ciCond{{env: "SCREWDRIVER"}}},
	{name: "Semaphore", conds: []ciCond{{env: "SEMAPHORE"}}},
	{name: "Sourcehut", conds: []ciCond{{op: ciEquals, env: "CI_NAME", value: "sourcehut"}}},
	{name: "Strider CD", conds: []ciCond{{env: "STRIDER"}}},
	{name: "TaskCluster", conds: []ciCond{{env: "TASK_ID"}, {env: "RUN_ID"}}},
	{name: "TeamCity", conds: []ciCond{{env: "TEAMCITY_VERSION"}}},
	{name: "Travis CI", conds: []ciCond{{env: "TRAVIS"}}},
	{name: "Vela", conds: []ciCond{{env: "VELA"}}},
	{name: "Vercel", conds: []ciCond{{op: ciAny, anyOf: []string{"NOW_BUILDER", "VERCEL"}}}},
	{name: "Visual Studio App Center", conds: []ciCond{{env: "APPCENTER_BUILD_ID"}}},
	{name: "Woodpecker", conds: []ciCond{{op: ciEquals, env: "CI", value: "woodpecker"}}},
	{name: "Xcode Cloud", conds: []ciCond{{env: "CI_XCODE_PROJECT"}}},
	{name: "Xcode Server", conds: []ciCond{{env: "XCS"}}},
}

// ciGeneric lists the variables that ci-info takes as a sign of CI when set
// and not empty, whichever vendor set them, in the order it checks them.
var ciGeneric = []string{
	"BUILD_ID",               // Jenkins, CloudBees
	"BUILD_NUMBER",           // Jenkins, TeamCity
	"CI",                     // most services
	"CI_APP_ID",              // Appflow
	"CI_BUILD_ID",            // Appflow
	"CI_BUILD_NUMBER",        // Appflow
	"CI_NAME",                // Codeship and others
	"CONTINUOUS_INTEGRATION", // Travis CI, Cirrus CI
	"RUN_ID",                 // TaskCluster, dsari
}

// DetectCI reports whether lookup describes a CI environment, and names it:
// the CI service when one of ci-info's vendors matches (the last match in
// its list, as ci-info reports it), else the generic variable that gave it
// away, such as "CI" or "BUILD_NUMBER". A variable counts as set only when
// it is not empty, and CI=false (exactly that value) means not CI whatever
// else is set, both as in ci-info. A nil lookup reports no CI.
func DetectCI(lookup func(string) (string, bool)) (name string, ok bool) {
	name, _, ok = detectCI(lookup)
	return name, ok
}

// detectCI is DetectCI that also returns the evidence, a short text naming
// the variables that matched, for the reason shown to the user.
func detectCI(lookup func(string) (string, bool)) (name, evidence string, ok bool) {
	if lookup == nil {
		return "", "", false
	}
	if v, set := lookup("CI"); set && v == "false" {
		return "", "", false
	}
	// ci-info lets the last matching vendor win; walking backwards finds it
	// with the fewest look-ups.
	for i := len(ciVendors) - 1; i >= 0; i-- {
		if ev, matched := ciVendors[i].match(lookup); matched {
			return ciVendors[i].name, ciVendors[i].name + ": " + ev, true
		}
	}
	for _, k := range ciGeneric {
		if v, _ := lookup(k); v != "" {
			return k, k + "=" + showValue(v), true
		}
	}
	return "", "", false
}

// match reports whether every condition of the vendor's rule holds, and
// which variables made it so.
func (v *ciVendor) match(lookup func(string) (string, bool)) (evidence string, ok bool) {
	var parts []string
	for _, c := range v.conds {
		ev, ok := c.match(lookup)
		if !ok {
			return "", false
		}
		parts = append(parts, ev)
	}
	return strings.Join(parts, " and "), len(parts) > 0
}

// match tests one condition; evidence names the variable that satisfied it.
func (c *ciCond) match(lookup func(string) (string, bool)) (evidence string, ok bool) {
	switch c.op {
	case ciSet:
		if v, _ := lookup(c.env); v != "" {
			return c.env, true
		}
	case ciEquals:
		if v, set := lookup(c.env); set && v == c.value {
			return c.env + "=" + c.value, true
		}
	case ciContains:
		if v, _ := lookup(c.env); v != "" && strings.Contains(v, c.value) {
			return c.env + " contains " + c.value, true
		}
	case ciAny:
		for _, k := range c.anyOf {
			if v, _ := lookup(k); v != "" {
				return k, true
			}
		}
	}
	return "", false
}
