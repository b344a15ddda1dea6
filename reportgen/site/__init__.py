"""The static site of a suite of problems (issue 15): an overview, a page per problem and a page per method.

The data path, one module each:

    tuned result sets, tunings, step costs -> gather.Suite (scores across the problems)
        -> figures (profiles, tuning, curves) with report.path_figures (paths, distances)
        -> takeaways (sentences), export (data files)
        -> pages (page data, HTML) -> write (files)

The 2018 report (``reportgen.report``) stays the default build; a suite file (``[problems.NAME]`` tables) or an
experiment on another problem builds a site.
"""
