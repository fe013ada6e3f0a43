"""The typed model of GitLab CI: one frozen attrs class per node of ``.gitlab-ci.yml``.

Import names from :mod:`gitlabci_dsl`; the submodules here are loaded on first use.
"""
