package gate

import "testing"

// vendorCases holds one positive case for every vendor of ci-info v4.4.0's
// vendors.json, transcribed by hand from that file (not from ciVendors), and
// negative cases where the rule tests a value or needs several variables.
// wantName "" means not CI at all.
var vendorCases = []struct {
	vendor   string
	env      map[string]string
	wantName string
}{
	{"Agola CI", map[string]string{"AGOLA_GIT_REF": "refs/heads/main"}, "Agola CI"},
	{"Alpic", map[string]string{"ALPIC_HOST": "build.alpic.ai"}, "Alpic"},
	{"Appcircle", map[string]string{"AC_APPCIRCLE": "true"}, "Appcircle"},
	{"AppVeyor", map[string]string{"APPVEYOR": "True"}, "AppVeyor"},
	{"AWS CodeBuild", map[string]string{"CODEBUILD_BUILD_ARN": "arn:aws:codebuild:eu-west-1:1:build/p:b"}, "AWS CodeBuild"},
	{"Azure Pipelines", map[string]string{"TF_BUILD": "True"}, "Azure Pipelines"},
	{"Bamboo", map[string]string{"bamboo_planKey": "PROJ-PLAN"}, "Bamboo"},
	{"Bitbucket Pipelines", map[string]string{"BITBUCKET_COMMIT": "4f2c1e0"}, "Bitbucket Pipelines"},
	{"Bitrise", map[string]string{"BITRISE_IO": "true"}, "Bitrise"},
	{"Buddy", map[string]string{"BUDDY_WORKSPACE_ID": "123"}, "Buddy"},
	{"Buildkite", map[string]string{"BUILDKITE": "true"}, "Buildkite"},
	{"CircleCI", map[string]string{"CIRCLECI": "true"}, "CircleCI"},
	{"Cirrus CI", map[string]string{"CIRRUS_CI": "true"}, "Cirrus CI"},
	{"Cloudflare Pages", map[string]string{"CF_PAGES": "1"}, "Cloudflare Pages"},
	{"Cloudflare Workers", map[string]string{"WORKERS_CI": "1"}, "Cloudflare Workers"},
	{"Codefresh", map[string]string{"CF_BUILD_ID": "5f1"}, "Codefresh"},
	{"Codemagic", map[string]string{"CM_BUILD_ID": "abc"}, "Codemagic"},
	{"Codeship", map[string]string{"CI_NAME": "codeship"}, "Codeship"},
	{"Codeship", map[string]string{"CI_NAME": "CodeShip"}, "CI_NAME"}, // exact match only
	{"Drone", map[string]string{"DRONE": "true"}, "Drone"},
	{"dsari", map[string]string{"DSARI": "1"}, "dsari"},
	{"Earthly", map[string]string{"EARTHLY_CI": "true"}, "Earthly"},
	{"Expo Application Services", map[string]string{"EAS_BUILD": "true"}, "Expo Application Services"},
	{"Gerrit", map[string]string{"GERRIT_PROJECT": "core"}, "Gerrit"},
	{"Gitea Actions", map[string]string{"GITEA_ACTIONS": "true"}, "Gitea Actions"},
	{"GitHub Actions", map[string]string{"GITHUB_ACTIONS": "true"}, "GitHub Actions"},
	{"GitLab CI", map[string]string{"GITLAB_CI": "true"}, "GitLab CI"},
	{"GoCD", map[string]string{"GO_PIPELINE_LABEL": "12"}, "GoCD"},
	{"Google Cloud Build", map[string]string{"BUILDER_OUTPUT": "/builder/outputs"}, "Google Cloud Build"},
	{"Harness CI", map[string]string{"HARNESS_BUILD_ID": "9"}, "Harness CI"},
	{"Heroku", map[string]string{"NODE": "/app/.heroku/node/bin/node"}, "Heroku"},
	{"Heroku", map[string]string{"NODE": "/usr/local/bin/node"}, ""},
	{"Hudson", map[string]string{"HUDSON_URL": "http://hudson/"}, "Hudson"},
	{"Jenkins", map[string]string{"JENKINS_URL": "http://jenkins/", "BUILD_ID": "3"}, "Jenkins"},
	{"Jenkins", map[string]string{"JENKINS_URL": "http://jenkins/"}, ""},
	{"Jenkins", map[string]string{"JENKINS_URL": "http://jenkins/", "BUILD_ID": ""}, ""},
	{"LayerCI", map[string]string{"LAYERCI": "true"}, "LayerCI"},
	{"Magnum CI", map[string]string{"MAGNUM": "true"}, "Magnum CI"},
	{"Netlify CI", map[string]string{"NETLIFY": "true"}, "Netlify CI"},
	{"Nevercode", map[string]string{"NEVERCODE": "true"}, "Nevercode"},
	{"Prow", map[string]string{"PROW_JOB_ID": "e4b"}, "Prow"},
	{"ReleaseHub", map[string]string{"RELEASE_BUILD_ID": "r1"}, "ReleaseHub"},
	{"Render", map[string]string{"RENDER": "true"}, "Render"},
	{"Sail CI", map[string]string{"SAILCI": "true"}, "Sail CI"},
	{"Screwdriver", map[string]string{"SCREWDRIVER": "true"}, "Screwdriver"},
	{"Semaphore", map[string]string{"SEMAPHORE": "true"}, "Semaphore"},
	{"Sourcehut", map[string]string{"CI_NAME": "sourcehut"}, "Sourcehut"},
	{"Sourcehut", map[string]string{"CI_NAME": "sourcehut.org"}, "CI_NAME"},
	{"Strider CD", map[string]string{"STRIDER": "true"}, "Strider CD"},
	{"TaskCluster", map[string]string{"TASK_ID": "t1", "RUN_ID": "0"}, "TaskCluster"},
	{"TaskCluster", map[string]string{"TASK_ID": "t1"}, ""},
	{"TeamCity", map[string]string{"TEAMCITY_VERSION": "2024.1"}, "TeamCity"},
	{"Travis CI", map[string]string{"TRAVIS": "true"}, "Travis CI"},
	{"Vela", map[string]string{"VELA": "true"}, "Vela"},
	{"Vercel", map[string]string{"VERCEL": "1"}, "Vercel"},
	{"Vercel", map[string]string{"NOW_BUILDER": "1"}, "Vercel"},
	{"Vercel", map[string]string{"NOW_BUILDER": "", "VERCEL": ""}, ""},
	{"Visual Studio App Center", map[string]string{"APPCENTER_BUILD_ID": "77"}, "Visual Studio App Center"},
	{"Woodpecker", map[string]string{"CI": "woodpecker"}, "Woodpecker"},
	{"Woodpecker", map[string]string{"CI": "Woodpecker"}, "CI"},
	{"Woodpecker", map[string]string{"CI": "woodpecker-ci"}, "CI"},
	{"Xcode Cloud", map[string]string{"CI_XCODE_PROJECT": "App.xcodeproj"}, "Xcode Cloud"},
	{"Xcode Server", map[string]string{"XCS": "1"}, "Xcode Server"},
}

func TestDetectCIEveryVendor(t *testing.T) {
	for _, tc := range vendorCases {
		t.Run(tc.vendor+"/"+tc.wantName, func(t *testing.T) {
			name, ok := DetectCI(envOf(tc.env))
			if name != tc.wantName || ok != (tc.wantName != "") {
				t.Errorf("DetectCI(%v) = %q, %v; want %q, %v", tc.env, name, ok, tc.wantName, tc.wantName != "")
			}
			if tc.wantName == "" {
				return
			}
			// CI=false, exactly, turns every vendor off, as in ci-info.
			off := map[string]string{"CI": "false"}
			for k, v := range tc.env {
				if k != "CI" {
					off[k] = v
				}
			}
			if name, ok := DetectCI(envOf(off)); ok {
				t.Errorf("with CI=false: DetectCI(%v) = %q, want not CI", off, name)
			}
			// A variable set to "" is not set, as in ci-info.
			empty := map[string]string{}
			for k := range tc.env {
				empty[k] = ""
			}
			if name, ok := DetectCI(envOf(empty)); ok {
				t.Errorf("DetectCI(%v) = %q, want not CI", empty, name)
			}
		})
	}
}

func TestVendorTableMatchesCIInfo(t *testing.T) {
	// ci-info v4.4.0 lists 53 vendors; the cases above must name each one
	// with a positive case, and nothing else.
	const want = 53
	if len(ciVendors) != want {
		t.Errorf("ciVendors has %d vendors, ci-info v4.4.0 has %d", len(ciVendors), want)
	}
	positive := map[string]bool{}
	for _, tc := range vendorCases {
		if tc.wantName == tc.vendor {
			positive[tc.vendor] = true
		}
	}
	seen := map[string]bool{}
	for _, v := range ciVendors {
		if seen[v.name] {
			t.Errorf("vendor %q listed twice", v.name)
		}
		seen[v.name] = true
		if !positive[v.name] {
			t.Errorf("vendor %q has no positive test case", v.name)
		}
		if len(v.conds) == 0 {
			t.Errorf("vendor %q has no conditions and would match everything", v.name)
		}
	}
	for name := range positive {
		if !seen[name] {
			t.Errorf("test case for %q, which is not in ciVendors", name)
		}
	}
}

func TestDetectCIGeneric(t *testing.T) {
	for _, k := range []string{
		"BUILD_ID", "BUILD_NUMBER", "CI", "CI_APP_ID", "CI_BUILD_ID",
		"CI_BUILD_NUMBER", "CI_NAME", "CONTINUOUS_INTEGRATION", "RUN_ID",
	} {
		if name, ok := DetectCI(envOf(map[string]string{k: "1"})); !ok || name != k {
			t.Errorf("%s=1: DetectCI = %q, %v; want %q, true", k, name, ok, k)
		}
		if name, ok := DetectCI(envOf(map[string]string{k: ""})); ok {
			t.Errorf("%s empty: DetectCI = %q, want not CI", k, name)
		}
		if name, ok := DetectCI(envOf(map[string]string{k: "1", "CI": "false"})); ok && k != "CI" {
			t.Errorf("%s=1 CI=false: DetectCI = %q, want not CI", k, name)
		}
	}
}

func TestDetectCIRules(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing", nil, ""},
		{"unrelated variables", map[string]string{"HOME": "/h", "PATH": "/bin", "TERM": "xterm"}, ""},
		{"CI=false alone", map[string]string{"CI": "false"}, ""},
		{"CI=False is CI (exact compare)", map[string]string{"CI": "False"}, "CI"},
		{"CI=0 is CI", map[string]string{"CI": "0"}, "CI"},
		{"CI=\" false\" is CI", map[string]string{"CI": " false"}, "CI"},
		{"CI=false beats generic variables", map[string]string{"CI": "false", "BUILD_NUMBER": "1", "RUN_ID": "2"}, ""},
		{"vendor named over generic CI", map[string]string{"CI": "true", "GITLAB_CI": "true"}, "GitLab CI"},
		{"generic order: BUILD_ID before CI", map[string]string{"CI": "true", "BUILD_ID": "1"}, "BUILD_ID"},
		// ci-info reports the last vendor in its list that matches.
		{"Gitea also sets GITHUB_ACTIONS", map[string]string{"GITEA_ACTIONS": "true", "GITHUB_ACTIONS": "true"}, "GitHub Actions"},
		{"Jenkins with the Gerrit trigger", map[string]string{"JENKINS_URL": "u", "BUILD_ID": "1", "GERRIT_PROJECT": "p"}, "Jenkins"},
		{"Jenkins with the Hudson variable", map[string]string{"JENKINS_URL": "u", "BUILD_ID": "1", "HUDSON_URL": "u"}, "Jenkins"},
		{"TaskCluster needs both", map[string]string{"RUN_ID": "0"}, "RUN_ID"},
	}
	for _, tc := range tests {
		name, ok := DetectCI(envOf(tc.env))
		if name != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: DetectCI = %q, %v; want %q", tc.name, name, ok, tc.want)
		}
	}
	if name, ok := DetectCI(nil); ok || name != "" {
		t.Errorf("DetectCI(nil) = %q, %v; want not CI", name, ok)
	}
}
