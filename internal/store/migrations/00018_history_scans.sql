-- +goose Up
-- Onboarding scans of the history of an instance's projects (history
-- scans). A run lists its projects through the GitLab API page by page
-- (next_page and target are where the listing resumes after a restart),
-- then scans each project's default branch through a job's task plan, at
-- most a few projects at a time. Whoever holds the lease (a worker's
-- history pump) advances the run; a lease that lapses is taken over.
CREATE TABLE history_runs (
    id               bigserial PRIMARY KEY,
    instance_host    text NOT NULL,
    job_name         text NOT NULL DEFAULT '',    -- '' : the job config.yml's rules match
    groups           text[] NOT NULL DEFAULT '{}', -- group ids or paths, subgroups included
    projects         text[] NOT NULL DEFAULT '{}', -- project ids or paths
    include_archived boolean NOT NULL DEFAULT false,
    include_empty    boolean NOT NULL DEFAULT false,
    requested_by     text NOT NULL DEFAULT '',
    state            text NOT NULL DEFAULT 'listing'
                     CHECK (state IN ('listing', 'scanning', 'done', 'cancelled', 'failed')),
    target           integer NOT NULL DEFAULT 0,  -- the group or project being listed
    next_page        integer NOT NULL DEFAULT 1,  -- its next page
    error            text NOT NULL DEFAULT '',
    lease_owner      text NOT NULL DEFAULT '',
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX history_runs_active ON history_runs (id) WHERE state IN ('listing', 'scanning');

-- One row per project a run listed (or skipped), with the head it scanned
-- and why it failed or was skipped.
CREATE TABLE history_projects (
    run_id         bigint NOT NULL REFERENCES history_runs (id) ON DELETE CASCADE,
    project_id     bigint NOT NULL,
    path           text NOT NULL,
    default_branch text NOT NULL DEFAULT '',
    http_url       text NOT NULL DEFAULT '',
    ssh_url        text NOT NULL DEFAULT '',
    web_url        text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'scanning', 'done', 'failed', 'skipped')),
    head_sha       text NOT NULL DEFAULT '',
    check_id       text NOT NULL DEFAULT '',
    reason         text NOT NULL DEFAULT '',
    findings       integer NOT NULL DEFAULT 0,
    started_at     timestamptz,
    finished_at    timestamptz,
    PRIMARY KEY (run_id, project_id)
);
CREATE INDEX history_projects_open ON history_projects (run_id, state) WHERE state IN ('pending', 'scanning');
-- A second run skips a project whose default-branch head a run scanned.
CREATE INDEX history_projects_scanned ON history_projects (project_id, head_sha) WHERE state = 'done';

-- +goose Down
DROP TABLE history_projects;
DROP TABLE history_runs;
