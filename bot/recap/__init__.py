"""The recap of an ended Space, posted as a reply to its card: what was said (key quotes, questions, chapters),
who spoke how long, the peaks and links. Built by `cog.build_recaps`; the rendering is `render`."""
