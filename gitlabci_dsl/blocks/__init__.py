"""Container-registry building blocks: small frozen specs whose ``job()`` returns core Jobs.

One module per tool (``docker``, ``kaniko``, ``trivy``…) and one shared vocabulary
(``image``, ``registry``, ``tags``, ``stage``, ``rules``, ``needs``) defined in ``registry`` and
``tags``. Import the names from :mod:`gitlabci_dsl`.
"""
