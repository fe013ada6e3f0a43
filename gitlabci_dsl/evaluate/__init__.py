"""What GitLab would run: its CI/CD variable expressions (``expression``), evaluated offline.

Work in progress for ``gitlabci-dsl explain`` and ``graph`` (rules, workflow, only/except).
"""
