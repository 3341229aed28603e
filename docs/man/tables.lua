-- pandoc filter for scripts/man: a man page is 80 columns, where a table of prose cells (the
-- guides' key and command tables) breaks into unreadable slivers. Each table becomes a
-- definition list instead: a row's first cell is the term, each other cell a paragraph after
-- its column's heading (the last column, the prose, without one).
local function label(heading, cell, last)
  local inlines = pandoc.utils.blocks_to_inlines(cell.contents)
  if last then return pandoc.Para(inlines) end
  local para = {pandoc.Emph(heading .. ":"), pandoc.Space()}
  for _, i in ipairs(inlines) do table.insert(para, i) end
  return pandoc.Para(para)
end

function Table(t)
  local headings = {}
  for i, cell in ipairs(t.head.rows[1].cells) do headings[i] = pandoc.utils.stringify(cell.contents) end
  local items = {}
  for _, body in ipairs(t.bodies) do
    for _, row in ipairs(body.body) do
      local definition = {}
      for i = 2, #row.cells do
        if #row.cells[i].contents > 0 then
          table.insert(definition, label(headings[i], row.cells[i], i == #row.cells))
        end
      end
      table.insert(items, {pandoc.utils.blocks_to_inlines(row.cells[1].contents), {definition}})
    end
  end
  return pandoc.DefinitionList(items)
end
